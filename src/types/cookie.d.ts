// cookie 0.7 (the version Express 5 uses for res.cookie) ships no types; this declares the part hlsgate uses.
declare module 'cookie' {
  interface CookieSerializeOptions {
    encode?: (value: string) => string;
    domain?: string;
    path?: string;
    expires?: Date;
    maxAge?: number;
    httpOnly?: boolean;
    secure?: boolean;
    sameSite?: 'lax' | 'strict' | 'none' | boolean;
  }
  const cookie: { serialize(name: string, value: string, options?: CookieSerializeOptions): string };
  export default cookie;
  export type { CookieSerializeOptions };
}
