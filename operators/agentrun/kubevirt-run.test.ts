import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../runtime/kube.js';
import { vmiRefusal } from './kubevirt-run.js';

describe('vmiRefusal', () => {
  it('stalls on what a retry cannot change, with the API server\'s message', () => {
    const webhook = new KubeApiError(422, 'POST', '/apis/kubevirt.io/v1/namespaces/a/virtualmachineinstances', { reason: 'Invalid', message: 'admission webhook "virtualmachineinstances-create-validator.kubevirt.io" denied the request: HostDevice nvidia.com/X is not permitted in permittedHostDevices configuration' });
    expect(vmiRefusal(webhook, 'a/r-agent')).toMatchObject({ reason: 'VMIRefused', message: expect.stringMatching(/refused VirtualMachineInstance a\/r-agent \(HTTP 422 Invalid\): admission webhook .* is not permitted in permittedHostDevices/) });
    expect(vmiRefusal(new KubeApiError(403, 'POST', '/x', { reason: 'Forbidden', message: 'no' }), 'a/r')?.reason).toBe('VMIRefused');
  });
  it('leaves server trouble to the retry', () => {
    expect(vmiRefusal(new KubeApiError(500, 'POST', '/x', { reason: 'InternalError', message: 'etcd' }), 'a/r')).toBeUndefined();
    expect(vmiRefusal(new Error('ECONNRESET'), 'a/r')).toBeUndefined();
  });
});
