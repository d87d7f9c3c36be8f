// Variables: EXT-X-DEFINE (8216bis section 4.4.2.3) and Variable Substitution of `{$name}` in
// URIs (8216bis section 4.3).
//
// A variable has one of three sources: NAME/VALUE in this playlist, IMPORT from the multivariant
// playlist (a media playlist only), QUERYPARAM from the request's query. The last two make the
// compiled form depend on the request, so every such name is recorded in `dependsOn`.
// Only URIs are substituted: they are what hlsgate resolves and signs; every other use of a
// variable passes through for the player to substitute.
import { findAttribute, quotedString, type Attribute } from './attribute-list.js';
import type { Fail } from './errors.js';
import { MAX_URI_LENGTH } from './uris.js';

/** Variable Name of EXT-X-DEFINE: [a-zA-Z0-9-_]. */
const VARIABLE_NAME = /^[A-Za-z0-9_-]+$/;
/** Variable Reference `{$name}` (group 1: the name). */
const VARIABLE_REFERENCE = /\{\$([A-Za-z0-9_-]+)\}/g;

/** Where IMPORT and QUERYPARAM variables come from. */
export interface VariableSources {
  /** Query of the request for the multivariant playlist, for QUERYPARAM. */
  queryParams?: URLSearchParams;
  /** Variables of the multivariant playlist, for IMPORT in a media playlist. */
  importedVariables?: Record<string, string>;
}

/** The variables of one playlist, defined in order: a reference sees only earlier definitions. */
export class Variables {
  readonly values = new Map<string, string>();
  /** The IMPORT and QUERYPARAM names read, in order. */
  readonly dependsOn = { queryParams: [] as string[], imports: [] as string[] };
  private readonly sources: VariableSources;

  constructor(sources: VariableSources) {
    this.sources = sources;
  }

  /** Handles one EXT-X-DEFINE, given its attributes. */
  define(attrs: Attribute[], fail: Fail): void {
    const { name, value } = this.read(attrs, fail);
    if (!VARIABLE_NAME.test(name)) return fail('Malformed', `"${name.slice(0, 40)}" is not a variable name ([A-Za-z0-9_-])`);
    if (this.values.has(name)) return fail('Malformed', `variable "${name}" is defined twice`);
    this.values.set(name, value);
  }

  /** `uri` with every `{$name}` replaced; fails on an undefined name or past MAX_URI_LENGTH. */
  substitute(uri: string, fail: Fail): string {
    if (!uri.includes('{$')) return uri;
    let out = '';
    let copied = 0;
    for (const m of uri.matchAll(VARIABLE_REFERENCE)) {
      const name = m[1] as string;
      const value = this.values.get(name);
      if (value === undefined) return fail('UndefinedVariable', `variable "${name}" is used but not defined by an earlier EXT-X-DEFINE`);
      out += uri.slice(copied, m.index) + value;
      copied = m.index + m[0].length;
      // Checked as it grows: a long VALUE referenced many times must not build a huge string.
      if (out.length > MAX_URI_LENGTH) return fail('TooLarge', `URI is longer than ${MAX_URI_LENGTH} characters after variable substitution`);
    }
    return out + uri.slice(copied);
  }

  /** The name and value a definition gives, from whichever of its three sources it names. */
  private read(attrs: Attribute[], fail: Fail): { name: string; value: string } {
    const nameAttr = findAttribute(attrs, 'NAME');
    const importAttr = findAttribute(attrs, 'IMPORT');
    const queryAttr = findAttribute(attrs, 'QUERYPARAM');
    if ([nameAttr, importAttr, queryAttr].filter((a) => a !== undefined).length !== 1) {
      return fail('Malformed', 'needs exactly one of NAME, IMPORT or QUERYPARAM');
    }
    if (nameAttr) return this.fromValue(nameAttr.value, attrs, fail);
    if (importAttr) return this.fromImport(importAttr.value, fail);
    return this.fromQueryParam((queryAttr as Attribute).value, fail);
  }

  private fromValue(name: string, attrs: Attribute[], fail: Fail): { name: string; value: string } {
    const valueAttr = quotedString(attrs, 'VALUE');
    if (!valueAttr) return fail('Malformed', `NAME="${name}" needs a quoted VALUE`);
    return { name, value: valueAttr.value };
  }

  private fromImport(name: string, fail: Fail): { name: string; value: string } {
    const imported = this.sources.importedVariables;
    const value = imported && Object.hasOwn(imported, name) ? imported[name] : undefined;
    if (value === undefined) return fail('UndefinedVariable', `variable "${name}" is imported but the multivariant playlist does not define it`);
    this.dependsOn.imports.push(name);
    return { name, value };
  }

  private fromQueryParam(name: string, fail: Fail): { name: string; value: string } {
    // 8216bis: a query parameter without a value fails the playlist, as a missing one does.
    const value = this.sources.queryParams?.get(name) ?? undefined;
    if (!value) return fail('UndefinedVariable', `variable "${name}" comes from the query parameter "${name}", which the request does not carry (or is empty)`);
    this.dependsOn.queryParams.push(name);
    return { name, value };
  }
}
