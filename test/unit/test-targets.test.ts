import { describe, expect, it } from 'vitest';
import { localstackPathStyle } from '../integration/global-setup.ts';

describe('TEST_TARGET=localstack', () => {
  it('turns the ApiUrl output into LocalStack’s path-style execute-api URL', () => {
    expect(localstackPathStyle('https://a1b2c3d4e5.execute-api.localhost.localstack.cloud:4566/dev/', 'http://localhost:4566')).toBe(
      'http://localhost:4566/_aws/execute-api/a1b2c3d4e5/dev',
    );
  });
});

