/** [MS-PRES] section 6 namespaces. */
export const NS = {
  richPresence: 'http://schemas.microsoft.com/2006/09/sip/rich-presence',
  categories: 'http://schemas.microsoft.com/2006/09/sip/categories',
  containers: 'http://schemas.microsoft.com/2006/09/sip/containers',
  subscribers: 'http://schemas.microsoft.com/2006/09/sip/presence-subscribers',
  delegates: 'http://schemas.microsoft.com/2007/09/sip/delegates',
  roamingSelf: 'http://schemas.microsoft.com/2006/09/sip/roaming-self',
  roamingSelfEx: 'http://schemas.microsoft.com/2007/09/sip/roaming-self-ex',
  containerManagement: 'http://schemas.microsoft.com/2006/09/sip/container-management',
  delegateManagement: 'http://schemas.microsoft.com/2007/09/sip/delegate-management',
  contactCard: 'http://schemas.microsoft.com/2006/09/sip/contactcard',
} as const;

/** Content types of the documents ([MS-PRES] §2.2.2). */
export const CONTENT_TYPE = {
  publish: 'application/msrtc-category-publish+xml',
  roamingSelf: 'application/vnd-microsoft-roaming-self+xml',
  fault: 'application/msrtc-fault+xml',
  setContainerMembers: 'application/msrtc-setcontainermembers+xml',
  setSubscribers: 'application/msrtc-presence-setsubscriber+xml',
  setDelegates: 'application/msrtc-setdelegate+xml',
  eventCategories: 'application/msrtc-event-categories+xml',
  /** [MS-SIP] §2.2.4.1: full and delta contact lists. */
  roamingContacts: 'application/vnd-microsoft-roaming-contacts+xml',
  /** [MS-SIP] §2.2.4.2: contact management primitives (SOAP), and the addGroup answer. */
  soap: 'application/SOAP+xml',
  /** Answers to vnd-microsoft-provisioning-v2 subscriptions. */
  provisioning: 'application/vnd-microsoft-roaming-provisioning-v2+xml',
} as const;
