// `hlsgate videos add|list|rm`: the catalog the service uses (DATABASE_URL, else the service's
// default for this environment: catalogDatabaseUrl).
import { catalogDatabaseUrl } from '../config.js';
import { openCatalog, parseVideoInput } from '../adapters/catalog.js';
import { parse, str, UsageError } from './args.js';
import type { Command } from './command.js';

export const videos: Command = {
  usage: `  videos add <id> <playlist-key> [--title T] [--root-prefix P]
  videos list
  videos rm <id>`,
  async run(args, io) {
    const [sub, ...rest] = args;
    const { flags, positionals } = parse(rest, { title: { type: 'string' }, 'root-prefix': { type: 'string' } });
    const catalog = openCatalog(catalogDatabaseUrl(io.env), { clock: io.now });
    try {
      if (sub === 'add') {
        const [id, playlistKey, ...extra] = positionals;
        if (!id || !playlistKey || extra.length) throw new UsageError('usage: hlsgate videos add <id> <playlist-key> [--title T] [--root-prefix P]');
        const body: Record<string, string> = { id, playlistKey };
        const title = str(flags, 'title');
        const rootPrefix = str(flags, 'root-prefix');
        if (title !== undefined) body.title = title;
        if (rootPrefix !== undefined) body.rootPrefix = rootPrefix;
        const { video, created } = await catalog.upsert(parseVideoInput(body));
        io.stdout(`${created ? 'added' : 'updated'} ${video.id}\t${video.playlistKey}\t${video.rootPrefix}\t${video.title}`);
        return 0;
      }
      if (sub === 'list') {
        for (const v of await catalog.list()) io.stdout(`${v.id}\t${v.playlistKey}\t${v.rootPrefix}\t${v.title}`);
        return 0;
      }
      if (sub === 'rm') {
        const [id] = positionals;
        if (!id || positionals.length > 1) throw new UsageError('usage: hlsgate videos rm <id>');
        if (!(await catalog.remove(id))) {
          io.stderr(`hlsgate: no video "${id}"`);
          return 1;
        }
        io.stdout(`removed ${id}`);
        return 0;
      }
      throw new UsageError('usage: hlsgate videos add|list|rm');
    } finally {
      await catalog.close();
    }
  },
};
