export { DEFAULT_POLICY, isReadOnly, PRIVATE_CATEGORIES, READ_ONLY, REGISTERED_CATEGORIES, type PublicationPolicy } from './policy.js';
export { publishTime, secondsLeft } from './time.js';
export { allSelfViews, conflictFaults, planPublish, publicationId, sameAor, selfView, selfViewsOf, type CategoryKey, type PublishContext, type PublishOutcome } from './publish.js';
export { containerViews, planContainerMembers, type ContainerOutcome } from './containers.js';
export { planAddSubscriber, planSetSubscribers, subscriberViews, type SubscriberOutcome } from './subscribers.js';
export { delegateViews, planSetDelegates, type DelegateOutcome } from './delegates.js';
export { CONTACT_CARD_CONTAINERS, planServerPublications, serverPublicationSet, type DirectoryEntry } from './server-publications.js';
export { planEndpointGone, uniqueKeys } from './expiry.js';
export { containerResolver, resolveContainer, subscribableCategories, viewFingerprint, watcherViews, type SourceNetwork, type Watcher } from './resolution.js';
export { aggregateStateOf, AMS_INSTANCE, applyVirtually, computeDnd, computeServices, computeState, computeWorkingHours, planAggregation, triggeredBy, withAggregation, type Computed, type StateAggregate } from './aggregation.js';
export { homePool, parsePools, poolGruu, poolOfUri, type Pool } from './pools.js';
export {
  applyContactOp,
  contactListFromSeed,
  type ContactListSeed,
  DEFAULT_GROUP,
  DEFAULT_MAX_CONTACTS,
  emptyContactList,
  MAX_GROUP_ID,
  normalizeContactUri,
  type ContactLimits,
  type ContactOutcome,
  type ContactRefusal,
} from './contacts.js';
export { dialogTag, ownerOfTag, type DialogOwner } from './dialog-tags.js';
export { searchDirectory, type DirectoryPerson, type SearchOutcome } from './directory-search.js';
export { effectiveContainerSets, legacyFormat, legacyStateOf, msrtcStateOf, OFFLINE, pidfStatusOf, stateOfPidf, type LegacyFormat, type LegacyState } from './legacy.js';
