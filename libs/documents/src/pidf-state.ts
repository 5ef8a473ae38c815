import { STATE_NS, XSI_NS } from './state.js';
import { element, esc } from './xml.js';

const NOTE_NS = 'http://schemas.microsoft.com/2006/09/sip/note';

/**
 * The endpoint state a PIDF publication becomes: a machineState ([MS-PRES] §2.2.2.7.2.1) with the
 * availability and activity token of the mapping, so it enters state aggregation (§3.8.5.1.2.1)
 * like an enhanced client's endpoint.
 */
export function buildPidfMachineState(availability: number, token?: string): string {
  const activity = token === undefined ? '' : element('activity', [['token', token]]);
  return element('state', [['xmlns', STATE_NS], ['xmlns:xsi', XSI_NS], ['manual', 'false'], ['xsi:type', 'machineState']], `<availability>${availability}</availability>${activity}`);
}

/** A personal note ([MS-PRES] §2.2.2.7.5, as §4.2.1 publishes it) from a PIDF note. */
export function buildPersonalNote(text: string): string {
  return element('note', [['xmlns', NOTE_NS]], `<body type="personal" uri="">${esc(text)}</body>`);
}
