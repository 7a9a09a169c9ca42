import { ApiError } from '../../web/src/api/request';
import type { PaymentOrder } from '../../web/src/api/treasury';
import { useResolveOrder } from '../../web/src/views/treasury/useResolveOrder';

/**
 * The 核实处理 dialog (treasury) on useFormDialog: the signing goes through useSealing, whose cancel
 * answers null — the dialog then stays open with the form as typed; the server's refusal stays in
 * the dialog; a second click while one is in flight is ignored. The API and the sealing are
 * replaced here; the server side has its own tests. (useAdjustmentFile reads files with the DOM's
 * FileReader, which this Node program does not type: test/browser/adjustment-pages.test.ts covers it.)
 */
const mockResolveOrder = jest.fn();
const mockRun = jest.fn();
jest.mock('../../web/src/api/treasury', () => ({ resolveOrder: (...a: unknown[]) => mockResolveOrder(...a) }));
jest.mock('../../web/src/seals/useSealing', () => ({ useSealing: () => ({ run: (...a: unknown[]) => mockRun(...a) }) }));

const validForm = { validate: () => Promise.resolve(true), clearValidate: () => undefined } as never;
const order = { id: 42, orderNo: 'ZF2026-000042' } as PaymentOrder;

beforeEach(() => {
  mockResolveOrder.mockReset();
  mockRun.mockReset();
  // By default the signing goes through: the operation is called with a PIN.
  mockRun.mockImplementation((_what: string, op: (pin: string) => Promise<unknown>) => op('123456'));
});

describe('核实处理 dialog (useResolveOrder)', () => {
  function setup() {
    const resolved: PaymentOrder[] = [];
    const r = useResolveOrder((o) => resolved.push(o));
    r.dialog.bindForm(validForm);
    r.open(order);
    return { r, resolved };
  }

  test('a resolution is sent signed with the choice and comment, then the dialog closes', async () => {
    const { r, resolved } = setup();
    mockResolveOrder.mockResolvedValue({ status: 'paid' });
    Object.assign(r.form, { decision: 'failed', comment: '  银行确认未付款 ' });
    await r.submit();
    expect(mockResolveOrder).toHaveBeenCalledWith(42, { decision: 'failed', comment: '银行确认未付款', signingPin: '123456' });
    expect(r.dialog.visible.value).toBe(false);
    expect(resolved).toEqual([order]);
  });

  test('the signing cancelled: nothing sent, the dialog stays open with what was typed', async () => {
    const { r, resolved } = setup();
    mockRun.mockResolvedValue(null);
    r.form.comment = '已电话核实';
    await r.submit();
    expect(r.dialog.visible.value).toBe(true);
    expect(r.form.comment).toBe('已电话核实');
    expect(r.dialog.serverErrors.message.value).toBe('');
    expect(resolved).toEqual([]);
  });

  test("the server's refusal is shown in the dialog, which stays open", async () => {
    const { r, resolved } = setup();
    mockResolveOrder.mockRejectedValue(new ApiError('ORDER_NOT_ESCALATED', '支付凭证已到账，无需核实', 409));
    await r.submit();
    expect(r.dialog.visible.value).toBe(true);
    expect(r.dialog.serverErrors.message.value).toBe('支付凭证已到账，无需核实');
    expect(resolved).toEqual([]);
  });

  test('a second click while the first is in flight sends nothing more', async () => {
    const { r, resolved } = setup();
    let answer: (v: unknown) => void = () => undefined;
    mockResolveOrder.mockReturnValue(new Promise((res) => (answer = res)));
    const first = r.submit();
    await r.submit();
    answer({ status: 'paid' });
    await first;
    expect(mockResolveOrder).toHaveBeenCalledTimes(1);
    expect(resolved).toEqual([order]);
  });
});
