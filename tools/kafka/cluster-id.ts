import { randomBytes } from 'node:crypto';

/**
 * A new cluster id in Kafka's Uuid text form (base64url of 16 bytes). One that starts with "-"
 * reads as an option to the format tool ("--cluster-id: expected one argument"), one run in 64:
 * Kafka's own Uuid.randomUuid() draws again in that case, and so does this.
 */
export function clusterIdText(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
