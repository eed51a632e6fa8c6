// The FHIRPath benchmark workload (written by bench_fhirpath --workload) run through fhirpath.js
// with its R4 model. Prints "key value" lines like bench_fhirpath. Usage:
//   NODE_PATH=<dir with node_modules> node fhirpath_js_bench.js WORKLOAD.json [SECONDS]
'use strict';
const fs = require('fs');
const fhirpath = require('fhirpath');
const r4 = require('fhirpath/fhir-context/r4');

const workload = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const minSeconds = Number(process.argv[3] || 2);
const resources = workload.resources.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));

function now() { return Number(process.hrtime.bigint()) / 1e9; }

let compileFailures = 0;
let t0 = now();
for (const e of workload.compile) {
  try { fhirpath.compile(e, r4, { traceFn: () => {} }); } catch (err) { compileFailures++; }
}
const compileSeconds = now() - t0;

function prepare(items) {
  const out = [];
  for (const it of items) {
    try {
      out.push({ r: it.r, fn: fhirpath.compile({ base: it.base, expression: it.expression }, r4, { traceFn: () => {} }) });
    } catch (err) { /* counted below */ }
  }
  return out;
}

function pass(prepared) {
  let errors = 0;
  for (const p of prepared) {
    const resource = resources[p.r];
    try { p.fn(resource, { resource, rootResource: resource }); } catch (err) { errors++; }
  }
  return errors;
}

function measure(prepared) {
  let passes = 0;
  const start = now();
  let elapsed = 0;
  let errors = 0;
  do {
    errors = pass(prepared);
    passes++;
    elapsed = now() - start;
  } while (elapsed < minSeconds);
  return { rate: prepared.length * passes / elapsed, errors };
}

const invariants = prepare(workload.invariants);
const notes = prepare(workload.notes);
const inv = measure(invariants);
const nts = measure(notes);
console.log(`fhirpathjs.compile.seconds_all ${compileSeconds}`);
console.log(`fhirpathjs.compile.us_per_expression ${compileSeconds * 1e6 / workload.compile.length}`);
console.log(`fhirpathjs.invariants.compile_failures ${compileFailures}`);
console.log(`fhirpathjs.invariants.items ${invariants.length}`);
console.log(`fhirpathjs.invariants.errors_per_pass ${inv.errors}`);
console.log(`fhirpathjs.invariants.items_per_second ${inv.rate}`);
console.log(`fhirpathjs.notes.items ${notes.length}`);
console.log(`fhirpathjs.notes.items_per_second ${nts.rate}`);
