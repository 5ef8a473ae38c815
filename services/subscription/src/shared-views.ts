import { buildCategories, type CategoryView } from '@presence/documents';
import { containerResolver, viewFingerprint, watcherViews, type Watcher } from '@presence/presence';
import type { PublisherState } from './fanout.js';

/** What subscribers resolving to one container see of one category ([MS-PRES] §3.2.5.3). */
export interface SharedView {
  readonly container: number | null;
  readonly views: readonly CategoryView[];
  readonly fingerprint: string;
}

/**
 * The views of one publisher's data, for many watchers. Resolution is per container, not per
 * watcher: a change yields at most a handful of distinct views per category, each computed,
 * fingerprinted and serialized once and shared by every watcher that resolves to it.
 */
export class SharedViews {
  private readonly resolvers = new Map<string, (w: Watcher) => number | null>();
  private readonly views = new Map<string, SharedView>();
  private readonly bodies = new Map<string, string>();

  constructor(
    private readonly publisher: string,
    private readonly state: PublisherState,
  ) {}

  /** What `w` sees of `category`. */
  of(w: Watcher, category: string): SharedView {
    let resolve = this.resolvers.get(category);
    if (!resolve) {
      resolve = containerResolver(category, this.state.pubs, this.state.sets);
      this.resolvers.set(category, resolve);
    }
    const container = resolve(w);
    const key = `${category}\u0000${container}`;
    let view = this.views.get(key);
    if (!view) {
      const views = watcherViews(category, container, this.state.pubs);
      view = { container, views, fingerprint: viewFingerprint(container, views) };
      this.views.set(key, view);
    }
    return view;
  }

  /** The `categories` document (§2.2.2.3) of what `w` sees of `categories`, shared with every watcher seeing the same. */
  body(w: Watcher, categories: readonly string[]): string {
    const parts = categories.map((c) => this.of(w, c));
    const key = categories.map((c, i) => `${c}\u0000${parts[i]!.container}`).join('\u0001');
    let body = this.bodies.get(key);
    if (body === undefined) {
      body = buildCategories(this.publisher, parts.flatMap((p) => p.views));
      this.bodies.set(key, body);
    }
    return body;
  }
}
