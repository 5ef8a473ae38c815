import { NS } from './namespaces.js';
import { element } from './xml.js';

/**
 * One `category` element ([MS-PRES] §2.2.2.1). Self views carry every attribute that has a value;
 * subscriber views carry only name, instance and publishTime (§3.2.5.3). Only `name` (and
 * `container` in self views) is set on the element for an emptied (container, category).
 */
export interface CategoryView {
  readonly name: string;
  readonly instance?: string;
  readonly publishTime?: string;
  readonly container?: number;
  readonly version?: number;
  readonly expireType?: string;
  readonly endpointId?: string;
  readonly expires?: number;
  /** Inner XML, verbatim. */
  readonly data?: string;
}

/** `<categories xmlns="…/categories" uri="…">` with one element per view, in the order given. */
export function buildCategories(uri: string, views: readonly CategoryView[]): string {
  const inner = views
    .map((v) =>
      element(
        'category',
        [
          ['name', v.name],
          ['instance', v.instance],
          ['publishTime', v.publishTime],
          ['container', v.container],
          ['version', v.version],
          ['expireType', v.expireType],
          ['endpointId', v.endpointId],
          ['expires', v.expires],
        ],
        v.data ?? '',
      ),
    )
    .join('');
  return element('categories', [['xmlns', NS.categories], ['uri', uri]], inner);
}
