// EXT-X-DEFINE and variable substitution (8216bis sections 4.3 and 4.4.2.3), through
// compilePlaylist: each case is a playlist, the slots it yields or the error it is refused with.
import { describe, expect, it } from 'vitest';
import { compilePlaylist, PlaylistError, type CompileOptions, type PlaylistErrorCode } from '../../../src/core/hls/manifest.js';
import { MAX_URI_LENGTH } from '../../../src/core/hls/uris.js';

const ROOT = 'https://cdn.example/videos/v1/';
const BASE: CompileOptions = { playlistUrl: `${ROOT}index.m3u8`, rootUrl: ROOT };

type Sources = Pick<CompileOptions, 'queryParams' | 'importedVariables'>;

function slotUrls(text: string, sources: Sources = {}): string[] {
  return compilePlaylist(text, { ...BASE, ...sources }).slots.map((s) => s.url);
}

describe('variables', () => {
  it.each<[string, string, Sources, string[]]>([
    ['NAME/VALUE', '#EXTM3U\n#EXT-X-DEFINE:NAME="dir",VALUE="720p"\n#EXTINF:4,\n{$dir}/a.ts\n', {}, [`${ROOT}720p/a.ts`]],
    ['an unquoted NAME', '#EXTM3U\n#EXT-X-DEFINE:NAME=dir,VALUE="hd"\n#EXTINF:4,\n{$dir}.ts\n', {}, [`${ROOT}hd.ts`]],
    ['several references, one URI', '#EXTM3U\n#EXT-X-DEFINE:NAME="a",VALUE="x"\n#EXT-X-DEFINE:NAME="b",VALUE="y"\n#EXTINF:4,\n{$a}{$b}{$a}.ts\n', {}, [`${ROOT}xyx.ts`]],
    ['an empty VALUE', '#EXTM3U\n#EXT-X-DEFINE:NAME="p",VALUE=""\n#EXTINF:4,\n{$p}a.ts\n', {}, [`${ROOT}a.ts`]],
    ['in a URI attribute', '#EXTM3U\n#EXT-X-DEFINE:NAME="k",VALUE="keys/1"\n#EXT-X-KEY:METHOD=AES-128,URI="{$k}.key"\n', {}, [`${ROOT}keys/1.key`]],
    ['IMPORT', '#EXTM3U\n#EXT-X-DEFINE:IMPORT="q"\n#EXTINF:4,\n{$q}/a.ts\n', { importedVariables: { q: '1080p' } }, [`${ROOT}1080p/a.ts`]],
    ['QUERYPARAM', '#EXTM3U\n#EXT-X-DEFINE:QUERYPARAM="lang"\n#EXT-X-STREAM-INF:BANDWIDTH=1\n{$lang}/index.m3u8\n', { queryParams: new URLSearchParams('lang=fr') }, [`${ROOT}fr/index.m3u8`]],
    ['"{$" that is not a reference', '#EXTM3U\n#EXTINF:4,\na{$.ts\n', {}, [`${ROOT}a%7B$.ts`]],
    ['a name with "-" and "_"', '#EXTM3U\n#EXT-X-DEFINE:NAME="a-b_c",VALUE="z"\n#EXTINF:4,\n{$a-b_c}.ts\n', {}, [`${ROOT}z.ts`]],
  ])('substitutes %s', (_what, text, sources, urls) => {
    expect(slotUrls(text, sources)).toEqual(urls);
  });

  it('reports the variables and the request values they came from', () => {
    const compiled = compilePlaylist(
      '#EXTM3U\n#EXT-X-DEFINE:NAME="n",VALUE="1"\n#EXT-X-DEFINE:IMPORT="i"\n#EXT-X-DEFINE:QUERYPARAM="q"\n#EXT-X-DEFINE:IMPORT="j"\n',
      { ...BASE, importedVariables: { i: 'I', j: 'J', unused: 'U' }, queryParams: new URLSearchParams('q=Q') },
    );
    expect(compiled.variables).toEqual({ n: '1', i: 'I', q: 'Q', j: 'J' });
    expect(compiled.dependsOn).toEqual({ queryParams: ['q'], imports: ['i', 'j'] });
  });

  it('leaves references outside URIs to the player', () => {
    const text = '#EXTM3U\n#EXT-X-DEFINE:NAME="t",VALUE="x"\n#EXTINF:4,{$t}\na.ts\n';
    expect(compilePlaylist(text, BASE).chunks.join('|')).toBe('#EXTM3U\n#EXT-X-DEFINE:NAME="t",VALUE="x"\n#EXTINF:4,{$t}\n|\n');
  });

  it.each<[string, string, Sources, PlaylistErrorCode, number, string]>([
    ['an undefined name', '#EXTM3U\n#EXTINF:4,\n{$nope}.ts\n', {}, 'UndefinedVariable', 3, 'media segment URI: variable "nope" is used but not defined by an earlier EXT-X-DEFINE'],
    ['a use before its definition', '#EXTM3U\n#EXTINF:4,\n{$a}.ts\n#EXT-X-DEFINE:NAME="a",VALUE="x"\n', {}, 'UndefinedVariable', 3, 'variable "a" is used but not defined'],
    ['an IMPORT the multivariant playlist lacks', '#EXTM3U\n#EXT-X-DEFINE:IMPORT="q"\n', { importedVariables: { other: 'x' } }, 'UndefinedVariable', 2, 'EXT-X-DEFINE: variable "q" is imported but the multivariant playlist does not define it'],
    ['an IMPORT from the prototype', '#EXTM3U\n#EXT-X-DEFINE:IMPORT="constructor"\n', { importedVariables: {} }, 'UndefinedVariable', 2, 'variable "constructor" is imported'],
    ['a missing QUERYPARAM', '#EXTM3U\n#EXT-X-DEFINE:QUERYPARAM="lang"\n', { queryParams: new URLSearchParams('x=1') }, 'UndefinedVariable', 2, 'comes from the query parameter "lang", which the request does not carry (or is empty)'],
    ['an empty QUERYPARAM', '#EXTM3U\n#EXT-X-DEFINE:QUERYPARAM="lang"\n', { queryParams: new URLSearchParams('lang=') }, 'UndefinedVariable', 2, 'query parameter "lang"'],
    ['no source', '#EXTM3U\n#EXT-X-DEFINE:VALUE="x"\n', {}, 'Malformed', 2, 'EXT-X-DEFINE: needs exactly one of NAME, IMPORT or QUERYPARAM (line 2: "#EXT-X-DEFINE:VALUE="x"")'],
    ['two sources', '#EXTM3U\n#EXT-X-DEFINE:NAME="a",VALUE="x",IMPORT="a"\n', { importedVariables: { a: 'y' } }, 'Malformed', 2, 'needs exactly one of NAME, IMPORT or QUERYPARAM'],
    ['an unquoted VALUE', '#EXTM3U\n#EXT-X-DEFINE:NAME="a",VALUE=x\n', {}, 'Malformed', 2, 'NAME="a" needs a quoted VALUE'],
    ['a bad name', '#EXTM3U\n#EXT-X-DEFINE:NAME="a.b",VALUE="x"\n', {}, 'Malformed', 2, '"a.b" is not a variable name ([A-Za-z0-9_-])'],
    ['a second definition', '#EXTM3U\n#EXT-X-DEFINE:NAME="a",VALUE="x"\n#EXT-X-DEFINE:NAME="a",VALUE="y"\n', {}, 'Malformed', 3, 'variable "a" is defined twice'],
  ])('refuses %s', (_what, text, sources, code, line, message) => {
    let error: unknown;
    try {
      compilePlaylist(text, { ...BASE, ...sources });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PlaylistError);
    expect(error).toMatchObject({ code, line });
    expect((error as Error).message).toContain(message);
  });

  it('bounds what substitution builds, as it grows', () => {
    const value = 'x'.repeat(1000);
    const refs = '{$v}'.repeat(Math.ceil(MAX_URI_LENGTH / 1000) + 1);
    const text = `#EXTM3U\n#EXT-X-DEFINE:NAME="v",VALUE="${value}"\n#EXTINF:4,\n${refs}.ts\n`;
    expect(() => compilePlaylist(text, BASE)).toThrow(`media segment URI: URI is longer than ${MAX_URI_LENGTH} characters after variable substitution`);
    // Just under the bound: accepted.
    const fits = '{$v}'.repeat(Math.floor((MAX_URI_LENGTH - ROOT.length - 3) / 1000));
    expect(slotUrls(`#EXTM3U\n#EXT-X-DEFINE:NAME="v",VALUE="${value}"\n#EXTINF:4,\n${fits}.ts\n`)).toHaveLength(1);
  });
});
