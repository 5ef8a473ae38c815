export { DocumentError, type DocResult } from './errors.js';
export { CONTENT_TYPE, NS } from './namespaces.js';
export { parsePublish, type ExpireType, type PublicationOp, type PublishRequest } from './publish.js';
export { buildCategories, type CategoryView } from './categories.js';
export { buildRoamingData, parseRoamingList, type RoamingParts, type RoamingType } from './roaming.js';
export { buildFault, WRONG_DELTA, type FaultOperation } from './fault.js';
export { buildContainers, buildMembers, parseSetContainerMembers, type ContainerChange, type ContainerView, type Member, type MemberAction, type MemberType } from './containers.js';
export { buildSubscribers, parseSetSubscribers, type SubscriberView } from './subscribers.js';
export { buildDelegates, parseSetDelegates, type DelegateAction, type DelegateView } from './delegates.js';
export { buildContactCard, buildLegacyInterop, buildUserProperties, telUri } from './server-categories.js';
export {
  BATCH_SUB_NS,
  buildMultipart,
  buildRlmiList,
  parseBatchSub,
  RLMI_NS,
  type BatchAction,
  type BatchResource,
  type MimePart,
  type RejectedResource,
} from './batch-sub.js';
export {
  buildAggregateMachineState,
  buildAggregateState,
  buildDndState,
  buildServices,
  buildWorkingHours,
  parseCalendarWorkingHours,
  parseDeviceDoc,
  parseStateDoc,
  type DeviceCapability,
  type DeviceDoc,
  type ServiceCapabilityView,
  type Activity,
  type AggregateStateView,
  type StateDoc,
} from './state.js';
export {
  buildAddGroupResult,
  buildContactDelta,
  buildContactList,
  CONTACT_SOAP_NS,
  parseContactOp,
  SOAP_ENV_NS,
  type Contact,
  type ContactDelta,
  type ContactGroup,
  type ContactList,
  type ContactOp,
  type UcsMode,
} from './contacts.js';
export { buildProvisionGroupList, ELEMENT_GROUPS, isProvisioningElementName, parseProvisioningRequest, PROVISIONING_NOTIFICATION_NS, type ProvisionGroup } from './provisioning.js';
export {
  buildDirectorySearchResult,
  buildSearchFault,
  parseDirectorySearch,
  RESULT_ATTRIBUTES,
  type DirectorySearchRequest,
  type ResultRow,
  type SearchFaultCode,
  type SearchRow,
} from './directory-search.js';
export { buildMsrtcPidf, buildPidf, buildWatcherInfo, parsePidf, PIDF_CONTENT_TYPE, PIDF_NS, type MsrtcView, type PidfView, type WinfoWatcher } from './pidf.js';
export { buildPersonalNote, buildPidfMachineState } from './pidf-state.js';
export {
  buildBatchSubscribe,
  buildClientPublish,
  buildContactSoap,
  buildEmptyPublish,
  buildSetContainer,
  type ClientContactOp,
  type ContainerMemberChange,
  type NotePublication,
  type StatePublication,
} from './client-requests.js';
export {
  parseAddGroupResult,
  parseContactDocument,
  parseFaultVersions,
  parseNotifiedCategories,
  presentityView,
  readPresence,
  noteText,
  splitMultipart,
  type ContactDocument,
  type NotifiedCategory,
  type NotifiedPresentity,
  type PresenceReading,
  type PresentityView,
} from './client-reads.js';
