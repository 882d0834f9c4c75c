import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { mailEnv } from '../config';

const parse = (env: Record<string, string | undefined>) => z.object(mailEnv).safeParse(env);

describe('mailEnv', () => {
  it('sends no e-mail unless SMTP_URL is set, and has defaults for the rest', () => {
    for (const env of [{}, { SMTP_URL: '', PUBLIC_URL: '' }]) {
      expect(parse(env).data).toEqual({ SMTP_URL: undefined, MAIL_FROM: 'Secret Santa <santa@localhost>', PUBLIC_URL: undefined, MAIL_CONCURRENCY: 4 });
    }
    expect(parse({ SMTP_URL: 'smtps://user:secret@mail.example.com:465', PUBLIC_URL: 'https://santa.example.com', MAIL_CONCURRENCY: '8' }).data)
      .toMatchObject({ SMTP_URL: 'smtps://user:secret@mail.example.com:465', PUBLIC_URL: 'https://santa.example.com', MAIL_CONCURRENCY: 8 });
  });

  it('refuses what cannot work, naming the variable', () => {
    for (const env of [{ SMTP_URL: 'mail.example.com' }, { PUBLIC_URL: 'ftp://santa.example.com' }, { MAIL_FROM: 'santa' }, { MAIL_CONCURRENCY: '0' }]) {
      const result = parse(env);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(Object.keys(env));
    }
  });
});
