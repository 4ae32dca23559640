import { useRef } from 'react';
import { idempotencyKey } from '../../../api/client.ts';

/**
 * One Idempotency-Key per purchase the user means: a double click or a retry of the same form reuses it (the server
 * answers the first order), a changed form or a purchase after a success gets a new one.
 */
export function useOnceKey() {
  const last = useRef<{ body: string; key: string } | undefined>(undefined);
  return {
    keyFor(body: unknown): string {
      const text = JSON.stringify(body);
      if (last.current?.body !== text) last.current = { body: text, key: idempotencyKey() };
      return last.current.key;
    },
    done() {
      last.current = undefined;
    },
  };
}
