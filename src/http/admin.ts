// Admin API: catalog CRUD under /api/videos, behind `Authorization: Bearer <ADMIN_TOKEN>`.
// Mounted only when a token is configured (otherwise /api/* is a plain 404).
//
// Failed authentications are throttled per client (the client told apart as the playlist rate
// limit does: `clientKey` of the request's address, X-Forwarded-For only from trusted proxies, an
// IPv6 client as its /64): after a burst of wrong tokens the client gets 429 with Retry-After, and
// a throttled client's token is not even compared. The state is a FailureThrottle, one per app
// (deps.adminThrottle, else per process), so that every way of signing in draws on the same budget.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AppDeps } from './deps.js';
import { HttpError } from '../errors.js';
import { CatalogInputError, isValidVideoId, parseVideoInput, type Video, type VideoInput } from '../adapters/catalog.js';
import { adminVideoPath, EXPRESS_PATHS } from '../routes.js';
import { clientKey, type FailureThrottle } from './rate-limit.js';
import { bearerToken } from './viewer.js';

const BODY_LIMIT = '16kb';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export interface AdminAuthOptions {
  adminToken: string;
  /** Failed attempts per client. */
  throttle: FailureThrottle;
  /** The client's address (the front door's `ParsedRequest.clientIp`). */
  clientIp: (req: IncomingMessage) => string | undefined;
}

/**
 * Checks `Authorization: Bearer <token>` in constant time (hashes of equal length). A client over
 * its failures gets 429 before anything else; a wrong token, or credentials of another kind, count
 * as a failure (a request without any Authorization header does not: it guesses nothing).
 */
export function bearerAuth(o: AdminAuthOptions): (req: Request, res: Response, next: NextFunction) => Promise<void> {
  const expected = sha256(o.adminToken);
  return async (req, _res, next) => {
    const client = clientKey(o.clientIp(req));
    const wait = await o.throttle.check(client);
    if (wait !== undefined) {
      throw new HttpError(429, `too many failed admin authentications from your address; try again in ${wait} s`, {
        code: 'rate_limited',
        headers: { 'Retry-After': String(wait) },
      });
    }
    const header = req.get('authorization');
    const token = bearerToken(header);
    if (token === undefined) {
      if (header !== undefined) await o.throttle.fail(client);
      throw new HttpError(401, 'this API needs an admin token: send "Authorization: Bearer <ADMIN_TOKEN>"', {
        headers: { 'WWW-Authenticate': 'Bearer realm="hlsgate"' },
      });
    }
    if (!timingSafeEqual(sha256(token), expected)) {
      await o.throttle.fail(client);
      throw new HttpError(401, 'the admin token is not valid', {
        headers: { 'WWW-Authenticate': 'Bearer realm="hlsgate", error="invalid_token"' },
      });
    }
    next();
  };
}

/** Parses the body into a catalog input; input problems become 400s naming the field. */
function readInput(req: Request, idFromPath?: string): VideoInput {
  if (!req.is('application/json')) {
    throw new HttpError(415, 'send the video as JSON with "Content-Type: application/json"', { field: 'body' });
  }
  try {
    return parseVideoInput(req.body as unknown, idFromPath);
  } catch (err) {
    if (err instanceof CatalogInputError) throw new HttpError(400, err.message, { field: err.field, code: 'invalid_input', cause: err });
    throw err;
  }
}

function idParam(req: Request): string {
  const id = req.params.id;
  return typeof id === 'string' ? id : '';
}

async function getVideo(deps: AppDeps, id: string): Promise<Video> {
  const video = isValidVideoId(id) ? await deps.catalog.get(id) : undefined;
  if (!video) throw new HttpError(404, `no video with id "${id.slice(0, 100)}"`);
  return video;
}

export interface AdminRouterOptions {
  adminToken: string;
  /** The client's address (the front door's `ParsedRequest.clientIp`). */
  clientIp: (req: IncomingMessage) => string | undefined;
  /** Failed authentications per client (shared with every other admin sign-in: app.ts builds one). */
  throttle: FailureThrottle;
}

export function adminRouter(deps: AppDeps, o: AdminRouterOptions): express.Router {
  const router = express.Router();
  router.use(bearerAuth({ adminToken: o.adminToken, throttle: o.throttle, clientIp: o.clientIp }));
  router.use(express.json({ limit: BODY_LIMIT, strict: true }));
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/', async (_req, res) => {
    res.json({ videos: await deps.catalog.list() });
  });

  router.post('/', async (req, res) => {
    const input = readInput(req);
    if (await deps.catalog.get(input.id)) {
      throw new HttpError(409, `a video with id "${input.id}" already exists; use PUT ${adminVideoPath(input.id)} to replace it`, { field: 'id' });
    }
    const { video } = await deps.catalog.upsert(input);
    res.status(201).location(adminVideoPath(video.id)).json(video);
  });

  router.get(EXPRESS_PATHS.adminItem, async (req, res) => {
    res.json(await getVideo(deps, idParam(req)));
  });

  router.put(EXPRESS_PATHS.adminItem, async (req, res) => {
    const input = readInput(req, idParam(req));
    const { video, created } = await deps.catalog.upsert(input);
    if (created) res.status(201).location(adminVideoPath(video.id));
    res.json(video);
  });

  router.delete(EXPRESS_PATHS.adminItem, async (req, res) => {
    const id = idParam(req);
    if (!isValidVideoId(id) || !(await deps.catalog.remove(id))) throw new HttpError(404, `no video with id "${id.slice(0, 100)}"`);
    res.status(204).end();
  });

  return router;
}
