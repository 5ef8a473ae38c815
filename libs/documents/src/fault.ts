import { element } from './xml.js';

/**
 * The Faultcode of version conflicts. The spec prints "Protocol client.BadCall.WrongDelta" in
 * §2.2.2.2.3/§2.2.2.5.3/§4.2.1, an artifact of a global "client" → "protocol client" rename;
 * §2.2.2.10.4 and real servers use `Client.BadCall.WrongDelta`.
 */
export const WRONG_DELTA = 'Client.BadCall.WrongDelta';

/** One failed operation: its 1-based index, the version sent, the current one and the current data. */
export interface FaultOperation {
  readonly index: number;
  readonly version: number;
  readonly curVersion: number;
  /** Current data at the server (inner XML). */
  readonly data: string;
}

/** `application/msrtc-fault+xml` ([MS-PRES] §2.2.2.2.3): no namespace. */
export function buildFault(ops: readonly FaultOperation[]): string {
  const details = ops
    .map((o) =>
      element(
        'operation',
        [
          ['index', o.index],
          ['version', o.version],
          ['curVersion', o.curVersion],
        ],
        o.data,
      ),
    )
    .join('');
  return `<Fault><Faultcode>${WRONG_DELTA}</Faultcode><details>${details}</details></Fault>`;
}
