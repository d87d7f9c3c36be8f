// The local CloudFront-compatible edge (dev and tests only).
export { createEdgeHandler, parseCookies, startEdge, type EdgeLogLine, type EdgeOptions, type RunningEdge } from './edge.js';
export { contentTypeFor, DEFAULT_CONTENT_TYPE } from './content-type.js';
