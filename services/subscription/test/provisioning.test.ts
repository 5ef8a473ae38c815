import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProvisioning, ProvisioningConfigError } from '../src/provisioning.js';

describe('provisioning groups from PROVISIONING_FILE', () => {
  const file = (text: string) => {
    const f = join(mkdtempSync(join(tmpdir(), 'prov-')), 'provisioning.json');
    writeFileSync(f, text);
    return f;
  };

  it('always has ServerConfiguration and ucPolicy, empty when nothing is configured', () => {
    expect(loadProvisioning(undefined)).toEqual([
      { name: 'ServerConfiguration', properties: {} },
      { name: 'ucPolicy', properties: {} },
    ]);
  });

  it('takes the operator’s groups and values (as strings)', () => {
    const groups = loadProvisioning(file(JSON.stringify({ ucPolicy: { EnableFederation: true }, meetingPolicy: { AllowIPVideo: 'false' } })));
    expect(groups).toEqual([
      { name: 'ServerConfiguration', properties: {} },
      { name: 'ucPolicy', properties: { EnableFederation: 'true' } },
      { name: 'meetingPolicy', properties: { AllowIPVideo: 'false' } },
    ]);
  });

  it('reads the shipped example: ServerConfiguration values clients read by element name', () => {
    const server = loadProvisioning('config/provisioning.example.json').find((g) => g.name === 'ServerConfiguration')!;
    expect(Object.keys(server.properties)).toEqual(expect.arrayContaining(['focusFactoryUri', 'absInternalServerUrl', 'mrasUri']));
  });

  it('refuses a file that is not a JSON object of groups, naming the file', () => {
    expect(() => loadProvisioning(file('{nope'))).toThrow(ProvisioningConfigError);
    expect(() => loadProvisioning(file('[1]'))).toThrow(/expected an object of groups/);
    expect(() => loadProvisioning(file('{"ucPolicy": "on"}'))).toThrow(/each an object of properties/);
    expect(() => loadProvisioning('/nonexistent/provisioning.json')).toThrow(/PROVISIONING_FILE \/nonexistent/);
    // ServerConfiguration values become elements named by their key.
    expect(() => loadProvisioning(file('{"ServerConfiguration": {"a b": "x"}}'))).toThrow(/ServerConfiguration.a b is not an XML element name/);
  });
});
