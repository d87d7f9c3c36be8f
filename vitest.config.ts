import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Browser and S3 tests start servers; two cores do not like many parallel forks.
    maxWorkers: 2,
  },
});
