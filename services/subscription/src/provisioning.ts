import { readFileSync } from 'node:fs';
import { buildProvisionGroupList, CONTENT_TYPE, isProvisioningElementName, parseProvisioningRequest, type ProvisionGroup } from '@presence/documents';
import type { OwnPackage } from './own-subscription.js';

export const PROVISIONING = 'vnd-microsoft-provisioning-v2';

/** The groups every Lync-family client waits for before it goes on signing in. */
const REQUIRED_GROUPS = ['ServerConfiguration', 'ucPolicy'];

export class ProvisioningConfigError extends Error {
  readonly code = 'PRES_ERR_PROVISIONING_CONFIG';
}

/** Reads the operator's provisioning groups; the required ones are always there, empty if not configured. */
export function loadProvisioning(file: string | undefined): ProvisionGroup[] {
  let configured: Record<string, Record<string, unknown>> = {};
  if (file) {
    try {
      configured = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
    } catch (e) {
      throw new ProvisioningConfigError(`PROVISIONING_FILE ${file}: ${(e as Error).message}`);
    }
    const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isObject(configured) || !Object.values(configured).every(isObject)) {
      throw new ProvisioningConfigError(`PROVISIONING_FILE ${file}: expected an object of groups, each an object of properties`);
    }
  }
  // [MS-PRES]-family clients read ServerConfiguration values as elements named by the key.
  for (const key of Object.keys(configured.ServerConfiguration ?? {})) {
    if (!isProvisioningElementName(key)) throw new ProvisioningConfigError(`PROVISIONING_FILE ${file}: ServerConfiguration.${key} is not an XML element name`);
  }
  const names = [...new Set([...REQUIRED_GROUPS, ...Object.keys(configured)])];
  return names.map((name) => ({ name, properties: Object.fromEntries(Object.entries(configured[name] ?? {}).map(([k, v]) => [k, String(v)])) }));
}

/**
 * Provisioning: the client names the groups it wants (often polling, `Expires: 0`) and gets each of
 * them; a group this server does not configure comes back empty, so the client goes on instead of waiting.
 */
export function provisioningPackage(groups: readonly ProvisionGroup[]): OwnPackage {
  return {
    event: PROVISIONING,
    contentType: CONTENT_TYPE.provisioning,
    read: (cmd) => {
      const asked = parseProvisioningRequest(cmd.body);
      if (!asked.ok) return asked.error.message;
      return asked.value === undefined ? {} : { scope: asked.value };
    },
    document: async (_d, _p, fields) => {
      const wanted = fields.scope;
      const out = wanted === undefined ? groups : wanted.map((name) => groups.find((g) => g.name === name) ?? { name, properties: {} });
      return buildProvisionGroupList(out);
    },
    onePerEndpoint: true,
  };
}
