import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { json, ok, renderPage, stubApi as stubFetch } from '../../test/render.tsx';
import Channels from './Channels.tsx';

// The Channels page against a stubbed fetch that answers in the studio envelope: what each action sends, and what the
// operator sees of the answers (a server error under the field it names, a test's result).

const CHANNEL = {
  id: 1, name: 'main', provider: 'openai', base_url: null, models: ['gpt-4o-mini'], weight: 2, priority: 5, rpm_limit: 60, max_concurrent: null, enabled: true,
  key_hint: 'fp_0123456789ab', created_at: '2026-03-01T12:00:00', updated_at: '2026-03-01T12:00:00',
  circuit: { key: 'channel:1', state: 'closed', consecutive_failures: 0, error_rate: 0 },
};
const PRICE = { model: 'gpt-4o-mini', provider: 'openai', input_price: 1.08, output_price: 4.32, per_image_price: null, operations: ['chat'], price_source: 'default' };

/** Stubs fetch; `answer` may replace the default answers (list, prices, and an echo of every write). */
function stubApi(answer: (path: string, method: string, body: unknown) => Response | undefined = () => undefined) {
  const calls = stubFetch((url, { method, body }) => {
    const custom = answer(url.pathname, method, body);
    if (custom) return custom;
    if (url.pathname === '/api/v1/admin/channels' && method === 'GET') return ok([CHANNEL]);
    if (url.pathname === '/api/v1/admin/model-prices') return ok([PRICE]);
    if (url.pathname === '/api/v1/admin/circuits' || url.pathname === '/api/v1/models') return ok([]);
    if (method === 'DELETE') return ok(null);
    return ok({ ...CHANNEL, ...(body as object) });
  });
  return { calls, writes: (path: string) => calls.filter((c) => c.method !== 'GET' && c.path === path) };
}

const renderChannels = () => renderPage(<Channels />);

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** The form item (label, control, errors) a control belongs to. */
const formItem = (testId: string) => screen.getByTestId(testId).closest('.ant-form-item') as HTMLElement;

describe('Channels', () => {
  it('lists channels with their routing settings and a labelled switch that turns one off', async () => {
    const api = stubApi();
    renderChannels();
    const row = await screen.findByTestId('channel-row-1');
    expect(within(row).getByText('fp_0123456789ab')).toBeTruthy();
    expect(within(row).getByText('60/min')).toBeTruthy();
    expect(within(row).getByText('Priority 5')).toBeTruthy();
    expect(within(row).getByText('Weight 2')).toBeTruthy();
    expect(within(row).getByText('Provider default')).toBeTruthy();
    fireEvent.click(screen.getByRole('switch', { name: 'Enable main' }));
    await waitFor(() => expect(api.writes('/api/v1/admin/channels/1')).toMatchObject([{ path: '/api/v1/admin/channels/1', method: 'PATCH', body: { enabled: false } }]));
  });

  it('creates a channel with a write-only key and the provider default shown as the endpoint placeholder', async () => {
    const api = stubApi();
    renderChannels();
    fireEvent.click(await screen.findByTestId('create-channel'));
    expect((await screen.findByTestId('channel-endpoint')).getAttribute('placeholder')).toBe('https://api.openai.com');
    fireEvent.click(screen.getByTestId('channel-submit'));
    // Validation renders a moment after the click: a loaded CI machine needs more than findBy's default second.
    expect(await within(formItem('channel-key')).findByText('Required', {}, { timeout: 10_000 })).toBeTruthy();
    expect(api.writes('/api/v1/admin/channels')).toEqual([]);

    fireEvent.change(screen.getByTestId('channel-name'), { target: { value: ' backup ' } });
    fireEvent.change(screen.getByTestId('channel-key'), { target: { value: 'sk-new-secret' } });
    fireEvent.change(screen.getByTestId('channel-priority'), { target: { value: '3' } });
    fireEvent.change(screen.getByTestId('channel-rpm'), { target: { value: '120' } });
    fireEvent.click(screen.getByTestId('channel-submit'));
    await waitFor(() => expect(api.writes('/api/v1/admin/channels')).toHaveLength(1));
    expect(api.writes('/api/v1/admin/channels')[0]?.body).toEqual({
      name: 'backup', provider: 'openai', key: 'sk-new-secret', endpoint: '', models: null, weight: 1, priority: 3, rpm_limit: 120, max_concurrent: null, enabled: true,
    });
  });

  it('edits without the key (never prefilled), but asks for it again when the endpoint moves', async () => {
    const api = stubApi();
    renderChannels();
    fireEvent.click(await screen.findByTestId('edit-channel-1'));
    const key = await screen.findByTestId('channel-key');
    expect((key as HTMLInputElement).value).toBe('');
    expect(within(formItem('channel-key')).getByText('Leave empty to keep the stored key (fp_0123456789ab)')).toBeTruthy();

    fireEvent.change(screen.getByTestId('channel-endpoint'), { target: { value: 'https://proxy.example.com/v1' } });
    fireEvent.click(screen.getByTestId('channel-submit'));
    expect(await within(formItem('channel-key')).findByText('Changing the provider or endpoint needs the key again')).toBeTruthy();
    expect(api.writes('/api/v1/admin/channels/1')).toEqual([]);

    fireEvent.change(screen.getByTestId('channel-endpoint'), { target: { value: '' } });
    fireEvent.change(screen.getByTestId('channel-weight'), { target: { value: '7' } });
    fireEvent.click(screen.getByTestId('channel-submit'));
    await waitFor(() => expect(api.writes('/api/v1/admin/channels/1')).toHaveLength(1));
    const sent = api.writes('/api/v1/admin/channels/1')[0]?.body as Record<string, unknown>;
    expect(sent).toMatchObject({ name: 'main', weight: 7, priority: 5, rpm_limit: 60, max_concurrent: null, models: ['gpt-4o-mini'], endpoint: '' });
    expect(sent).not.toHaveProperty('key');
  });

  it('shows a server refusal under the field it names', async () => {
    const message = 'body.models: "my-model" is not on the price list; set a price first under Channels → Model prices in the console (PUT /api/v1/admin/model-prices/my-model)';
    stubApi((path, method) => (path === '/api/v1/admin/channels/1' && method === 'PATCH' ? json({ code: 400, message, data: null }, 400) : undefined));
    renderChannels();
    fireEvent.click(await screen.findByTestId('edit-channel-1'));
    fireEvent.change(await screen.findByTestId('channel-name'), { target: { value: 'renamed' } });
    fireEvent.click(screen.getByTestId('channel-submit'));
    expect(await within(formItem('channel-models')).findByText(message)).toBeTruthy();
    expect(within(formItem('channel-name')).queryByText(message)).toBeNull();
  });

  it('sends one test request and shows its result', async () => {
    const api = stubApi((path) =>
      path === '/api/v1/admin/channels/1/test'
        ? ok({ ok: false, status: 401, latency_ms: 42, model: 'gpt-4o-mini', message: 'The upstream answered HTTP 401 (invalid_api_key): Incorrect API key provided: [redacted].' })
        : undefined,
    );
    renderChannels();
    fireEvent.click(await screen.findByTestId('test-channel-1'));
    const result = await screen.findByTestId('channel-test-result');
    expect(await within(result).findByText('The test failed')).toBeTruthy();
    expect(within(result).getByText('gpt-4o-mini · HTTP 401 · 42 ms')).toBeTruthy();
    expect(within(result).getByText(/Incorrect API key provided: \[redacted\]/)).toBeTruthy();
    expect(api.writes('/api/v1/admin/channels/1/test').map((c) => c.body)).toEqual([{}]);
  });

  it('deletes a channel only after the confirmation', async () => {
    const api = stubApi();
    renderChannels();
    fireEvent.click(await screen.findByTestId('delete-channel-1'));
    expect(api.writes('/api/v1/admin/channels/1')).toEqual([]);
    fireEvent.click(await screen.findByTestId('confirm-delete-channel'));
    await waitFor(() => expect(api.writes('/api/v1/admin/channels/1').map((c) => c.method)).toEqual(['DELETE']));
  });
});
