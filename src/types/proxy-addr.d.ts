// proxy-addr (what Express uses for req.ip and 'trust proxy') ships no types; this declares the part hlsgate uses.
declare module 'proxy-addr' {
  import type { IncomingMessage } from 'node:http';
  type Trust = (addr: string, i: number) => boolean;
  interface ProxyAddr {
    (req: IncomingMessage, trust: Trust): string;
    compile(val: string | string[]): Trust;
  }
  const proxyaddr: ProxyAddr;
  export default proxyaddr;
}
