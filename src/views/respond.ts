// Writing HTML pages to an Express response (shared by the routes and the error middleware).
import type { Response } from 'express';
import { contentSecurityPolicy } from './html.js';

/** Sends an HTML page with the pages' Content-Security-Policy. */
export function sendHtml(res: Response, deps: { config: { cdnBaseUrl: string } }, status: number, html: string): void {
  res.status(status);
  res.set({
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': contentSecurityPolicy(deps.config.cdnBaseUrl),
    'Cache-Control': 'no-store',
  });
  res.send(html);
}
