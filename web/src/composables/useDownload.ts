import { ref } from 'vue';
import { ElMessage } from 'element-plus';
import { ApiError } from '../api/request';

/**
 * 页面上的“导出”“下载模板”按钮：下载进行中的状态（按钮 loading，防止重复点击），
 * 失败时以 ElMessage 显示服务端的中文说明（如数据过多请缩小查询条件）。
 */
export function useDownload() {
  const downloading = ref(false);

  async function run(download: () => Promise<string>): Promise<void> {
    if (downloading.value) return;
    downloading.value = true;
    try {
      const filename = await download();
      ElMessage.success(`已下载：${filename}`);
    } catch (e) {
      ElMessage.error(e instanceof ApiError ? e.message : '导出失败，请稍后再试');
    } finally {
      downloading.value = false;
    }
  }

  return { downloading, run };
}
