/**
 * detsim's machine formats as JSON Schemas (draft 2020-12), and a validator for them (ajv).
 * Each format carries its name and version in a `format` field (e.g. `detsim-repro/1`); a reader
 * ignores fields it does not know, so adding a field keeps the version and changing one bumps it.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import common from './common.schema.json' with { type: 'json' };
import repro from './repro.schema.json' with { type: 'json' };
import run from './run.schema.json' with { type: 'json' };
import sweep from './sweep.schema.json' with { type: 'json' };
import result from './result.schema.json' with { type: 'json' };

/** The formats, by the schema file that defines each. */
export const SCHEMAS = {
  'repro.schema.json': repro,
  'run.schema.json': run,
  'sweep.schema.json': sweep,
  'result.schema.json': result,
} as const;

/** A schema's file name (the key of {@link SCHEMAS}). */
export type SchemaName = keyof typeof SCHEMAS;

let ajv: Ajv2020 | null = null;
const compiled = new Map<SchemaName, ValidateFunction>();

function validator(name: SchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    ajv ??= new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, strictRequired: false, schemas: [common, ...Object.values(SCHEMAS)] });
    v = ajv.getSchema(name);
    if (!v) throw new Error(`no schema ${name}`);
    compiled.set(name, v);
  }
  return v;
}

function describe(e: ErrorObject): string {
  return `${e.instancePath || '(top)'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`;
}

/** The ways `value` breaks the schema `name`, one line each; empty when it is valid. */
export function schemaErrors(name: SchemaName, value: unknown): string[] {
  const v = validator(name);
  return v(value) ? [] : (v.errors ?? []).map(describe);
}

/** The top-level fields a format names (what a reader knows). */
export function knownFields(name: SchemaName): string[] {
  const s = SCHEMAS[name] as { properties?: Record<string, unknown> };
  return Object.keys(s.properties ?? {});
}
