import { describe, expect, it } from 'vitest';
import { RouterMetrics } from './metrics.js';

describe('RouterMetrics per-target series', () => {
  it('shows what was counted since the last scrape, once, with the lane/provider/model labels', async () => {
    const m = new RouterMetrics();
    const t = m.target('team', 'ollama', 'llama3.1:8b');
    t.tokensIn.inc(10);
    t.tokensOut.inc(4);
    t.cost.inc(0.5);
    t.request('success');
    t.request('success');
    t.request('cancelled');
    t.ttft.observe(0.02);
    t.duration.observe(0.3);
    const text = await m.registry.metrics();
    expect(text).toContain('agentlab_llm_tokens_total{lane="team",provider="ollama",model="llama3.1:8b",direction="input"} 10');
    expect(text).toContain('agentlab_llm_tokens_total{lane="team",provider="ollama",model="llama3.1:8b",direction="output"} 4');
    expect(text).toContain('agentlab_llm_cost_usd_total{lane="team",provider="ollama",model="llama3.1:8b"} 0.5');
    expect(text).toContain('agentlab_llm_requests_total{lane="team",provider="ollama",model="llama3.1:8b",outcome="success"} 2');
    expect(text).toContain('agentlab_llm_requests_total{lane="team",provider="ollama",model="llama3.1:8b",outcome="cancelled"} 1');
    expect(text).toContain('agentlab_llm_time_to_first_token_seconds_bucket{le="0.025",lane="team",provider="ollama",model="llama3.1:8b"} 1');
    expect(text).toContain('agentlab_llm_request_duration_seconds_count{lane="team",provider="ollama",model="llama3.1:8b"} 1');
    // A second scrape adds nothing new.
    t.tokensIn.inc(1);
    const again = await m.registry.metrics();
    expect(again).toContain('direction="input"} 11');
    expect(again).toContain('agentlab_llm_request_duration_seconds_count{lane="team",provider="ollama",model="llama3.1:8b"} 1');
  });

  it('counts every observation when no one scrapes for a long time', async () => {
    const m = new RouterMetrics();
    const t = m.target('team', 'ollama', 'm');
    for (let i = 0; i < 1000; i++) t.duration.observe(0.01);
    expect(await m.registry.metrics()).toContain('agentlab_llm_request_duration_seconds_count{lane="team",provider="ollama",model="m"} 1000');
  });
});
