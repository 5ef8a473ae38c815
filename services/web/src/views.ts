import { readPresence, type NotifiedCategory } from '@presence/documents';
import { availabilityName } from './availability.js';

/** What the API shows of one user's presence (JSON of the stream and of the presence routes). */
export interface PresenceView {
  uri: string;
  availability: number | null;
  availabilityName: string;
  activity: string | null;
  note: string | null;
  displayName: string | null;
  lastActive: string | null;
}

/** The JSON view of a presentity's categories; a user the caller may not see shows as unknown. */
export function presenceView(uri: string, categories: readonly NotifiedCategory[]): PresenceView {
  const r = readPresence(categories);
  return {
    uri,
    availability: r.availability ?? null,
    availabilityName: availabilityName(r.availability),
    activity: r.activity ?? null,
    note: r.note ?? null,
    displayName: r.displayName ?? null,
    // publishTime is UTC ([MS-PRES] §3.2.5.1.2) written without a zone: say so, for browsers.
    lastActive: r.lastActive === undefined ? null : /(?:[zZ]|[+-]\d\d:?\d\d)$/.test(r.lastActive) ? r.lastActive : `${r.lastActive}Z`,
  };
}

/** The JSON schema of {@link PresenceView} (OpenAPI components). */
export const presenceSchema = {
  $id: 'Presence',
  type: 'object',
  required: ['uri', 'availability', 'availabilityName', 'activity', 'note', 'displayName', 'lastActive'],
  properties: {
    uri: { type: 'string', examples: ['sip:bob@contoso.com'] },
    availability: { type: ['integer', 'null'], description: '[MS-PRES] availability number (3500 available … 18500 offline); null when nothing is visible' },
    availabilityName: { type: 'string', enum: ['available', 'busy', 'do-not-disturb', 'be-right-back', 'away', 'offline', 'unknown'] },
    activity: { type: ['string', 'null'] },
    note: { type: ['string', 'null'] },
    displayName: { type: ['string', 'null'] },
    lastActive: { type: ['string', 'null'], description: 'When the shown state was published (ISO 8601)' },
  },
} as const;

/**
 * The categories a watcher holds of one presentity, merged notification after notification: a
 * notification carries the categories that changed ([MS-PRES] §3.4.5.3); an emptied one is removed.
 */
export class CategoryCache {
  private readonly byUri = new Map<string, Map<string, NotifiedCategory>>();

  constructor(private readonly maxUris = 2000) {}

  /** What is held of `uri` now. */
  current(uri: string): NotifiedCategory[] {
    return [...(this.byUri.get(uri)?.values() ?? [])];
  }

  apply(uri: string, categories: readonly NotifiedCategory[]): NotifiedCategory[] {
    const m = this.byUri.get(uri) ?? new Map<string, NotifiedCategory>();
    for (const c of categories) {
      // One shown instance per category name: a newer instance replaces the older.
      if (c.data.trim() !== '') m.set(c.name, c);
      else if (c.instance === undefined || m.get(c.name)?.instance === c.instance) m.delete(c.name);
    }
    if (!this.byUri.has(uri) && this.byUri.size >= this.maxUris) this.byUri.delete(this.byUri.keys().next().value!);
    this.byUri.set(uri, m);
    return [...m.values()];
  }
}
