import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate, serialNumber } from './tls.js';

describe('selfSignedCertificate', () => {
  it('encodes serial numbers as positive, DER-minimal INTEGERs for every first byte', () => {
    for (let first = 0; first < 256; first++) {
      const s = serialNumber(Buffer.from([first, 0x00, 0x7f, ...Array(13).fill(0x11)]));
      expect(s[0]).toBeGreaterThanOrEqual(1);
      expect(s[0]).toBeLessThanOrEqual(0x7f);
      expect(s).toHaveLength(16);
    }
  });

  it('produces a certificate OpenSSL parses, over many keys and serials', () => {
    // Before serialNumber, about one certificate in 256 failed to parse ("illegal padding").
    for (let i = 0; i < 600; i++) {
      const { cert } = selfSignedCertificate();
      const x = new X509Certificate(cert);
      expect(x.subject).toContain('agentlab-embedded-apiserver');
    }
  });
});
