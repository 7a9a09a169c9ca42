import { reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import {
  getOrder,
  listOrders,
  queryBank,
  retrySend,
  type OrderEvent,
  type OrderPage,
  type OrderStatus,
  type PaymentOrder,
} from '../../api/treasury';
import { ApiError } from '../../api/request';

/** 国库支付页的状态：列表与筛选、凭证经过、查询、重新发送（核实处理在 ResolveOrderDialog） */
export function useTreasury() {
  const filters = reactive({ status: '' as OrderStatus | '', orderNo: '', payeeAccount: '' });
  const page = reactive({ page: 1, pageSize: 20 });
  const data = ref<OrderPage>({ items: [], total: 0, escalated: 0, page: 1, pageSize: 20 });
  const loading = ref(false);
  const error = ref('');
  const detail = ref<(PaymentOrder & { events: OrderEvent[] }) | null>(null);
  const busy = ref<number | null>(null);

  async function load() {
    loading.value = true;
    error.value = '';
    try {
      data.value = await listOrders({
        status: filters.status || undefined,
        orderNo: filters.orderNo.trim() || undefined,
        payeeAccount: filters.payeeAccount.trim() || undefined,
        ...page,
      });
    } catch (e) {
      error.value = e instanceof ApiError ? e.message : '加载失败，请稍后再试';
    } finally {
      loading.value = false;
    }
  }

  async function showDetail(row: PaymentOrder) {
    detail.value = await getOrder(row.id);
  }

  async function act(row: PaymentOrder, what: () => Promise<string>) {
    if (busy.value) return;
    busy.value = row.id;
    try {
      ElMessage.success(await what());
      await load();
      if (detail.value?.id === row.id) detail.value = await getOrder(row.id);
    } catch (e) {
      ElMessage.error(e instanceof ApiError ? e.message : '操作失败，请稍后再试');
    } finally {
      busy.value = null;
    }
  }

  const query = (row: PaymentOrder) =>
    act(row, async () => {
      const r = await queryBank(row.id);
      return r.delivered ? `银行答复：${r.bankStatusLabel}，已据此办结` : `银行答复：${r.bankStatusLabel}`;
    });
  const retry = (row: PaymentOrder) => act(row, async () => (await retrySend(row.id), '已重新发送'));

  return { filters, page, data, loading, error, detail, busy, load, showDetail, query, retry };
}
