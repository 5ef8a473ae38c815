import type { Pools } from '@presence/runtime';
import { containers, contactLists, getRecord, listRecords, type Store } from '@presence/state';

/** A contact as the API shows it. */
export interface ContactView {
  uri: string;
  name: string;
  groups: number[];
}

export interface ContactListView {
  deltaNum: number;
  groups: { id: number; name: string }[];
  contacts: ContactView[];
}

const withScheme = (uri: string) => (/^sips?:/i.test(uri) ? uri : `sip:${uri}`);

/**
 * Reads what the services keep of a user (the roaming contact list, [MS-SIP] §3.7; container
 * member sets, [MS-PRES] §3.5.1) for the API's GET routes. Changes never go this way: they are
 * SERVICE requests to the services, which apply the deltaNum and version rules.
 */
export class ContactsReader {
  constructor(
    private readonly store: Store,
    private readonly pools: Pools,
  ) {}

  async read(user: string): Promise<ContactListView> {
    const rec = await getRecord(this.store, { pool: await this.pools.home(user), user }, contactLists, 'list');
    if (!rec) return { deltaNum: 0, groups: [{ id: 1, name: '~' }], contacts: [] };
    return {
      deltaNum: rec.value.deltaNum,
      groups: rec.value.groups.map((g) => ({ id: g.id, name: g.name })),
      contacts: rec.value.contacts.map((c) => ({ uri: withScheme(c.uri), name: c.name, groups: [...c.groups] })),
    };
  }

  /** The user's container member sets with their versions. */
  async containers(user: string): Promise<{ id: number; version: number; members: { type: string; value?: string }[] }[]> {
    const recs = await listRecords(this.store, { pool: await this.pools.home(user), user }, containers);
    return recs.map((r) => ({ id: r.value.id, version: r.version, members: r.value.members.map((m) => ({ type: m.type, ...(m.value !== undefined ? { value: m.value } : {}) })) })).sort((a, b) => a.id - b.id);
  }
}
