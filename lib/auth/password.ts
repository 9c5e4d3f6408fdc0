// Passwords are hashed with Argon2id (memory-hard). Never log them.
import { hash, verify, type Algorithm } from "@node-rs/argon2";

const OPTIONS = { algorithm: 2 as Algorithm /* Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}

// A hash to verify against when the account does not exist, so timing does not reveal it.
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword("opengroove-dummy-password");
  return dummy;
}
