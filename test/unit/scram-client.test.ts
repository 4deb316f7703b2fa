// The fast path's SCRAM client against RFC 7677's worked example (section 3): an oracle computed
// by others. The real broker checks SHA-256 and SHA-512 too (test/kafka/kafka-secure.test.ts).
import { describe, expect, it } from 'vitest';
import { scram, type Step } from '../../queue/kafka-sender/sasl-client.js';

const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

/** A server that answers as in the RFC's example, recording what the client sent. */
function rfcServer(serverFinal = SERVER_FINAL): { step: Step; sent: string[] } {
  const sent: string[] = [];
  const step: Step = async (message) => {
    sent.push(message.toString());
    return { authBytes: Buffer.from(sent.length === 1 ? SERVER_FIRST : serverFinal), sessionLifetimeMs: sent.length === 1 ? 0 : 3_600_000 };
  };
  return { step, sent };
}

describe('SCRAM client', () => {
  it("SCRAM-SHA-256 sends exactly the messages of RFC 7677's example and accepts its server signature", async () => {
    const { step, sent } = rfcServer();
    expect(await scram(step, 'sha256', 'user', 'pencil', CLIENT_NONCE)).toBe(3_600_000);
    expect(sent).toEqual([`n,,n=user,r=${CLIENT_NONCE}`, CLIENT_FINAL]);
  });

  it('a server signature that does not match is refused (a server that does not know the password)', async () => {
    const { step } = rfcServer('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    await expect(scram(step, 'sha256', 'user', 'pencil', CLIENT_NONCE)).rejects.toThrow("SCRAM: the broker's signature does not match");
  });

  it("a server nonce that does not extend the client's is refused", async () => {
    const { step } = rfcServer();
    await expect(scram(step, 'sha256', 'user', 'pencil', 'another-nonce')).rejects.toThrow('SCRAM: the broker sent a malformed first message');
  });
});
