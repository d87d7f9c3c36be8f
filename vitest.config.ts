import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Browser and S3 tests start servers; two cores do not like many parallel forks.
    maxWorkers: 2,
    // hlsgate targets Node 20 on purpose; the SDK's multi-line notice about Node 22 buries test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
