import { ref } from 'vue';
import { addSigner, copyTask, reassignTask } from '../../api/tasks';
import { useFormDialog } from '../../composables/useFormDialog';

export type PeopleAction = 'reassign' | 'signer' | 'copy';

export const PEOPLE_ACTION_TITLES: Record<PeopleAction, string> = { reassign: '转办', signer: '加签', copy: '抄送' };

export interface PeopleForm {
  userId: number | null;
  userIds: number[];
  position: 'before' | 'after';
  comment: string;
}

const emptyForm = (): PeopleForm => ({ userId: null, userIds: [], position: 'before', comment: '' });

/** 转办、加签、抄送共用的对话框状态：选人（抄送可多选）、加签位置、附言；服务端的拒绝显示在对话框里 */
export function usePeopleDialog(taskId: () => number, onDone: (action: PeopleAction) => void) {
  const dialog = useFormDialog<PeopleForm>({ empty: emptyForm });
  const { form } = dialog;
  const action = ref<PeopleAction>('reassign');

  function open(next: PeopleAction): void {
    action.value = next;
    dialog.open();
  }

  async function submit(): Promise<void> {
    const kind = action.value;
    const fallback = `${PEOPLE_ACTION_TITLES[kind]}失败，请稍后再试`;
    const done = await dialog.submit(async (f) => {
      const comment = f.comment.trim() || undefined;
      if (kind === 'reassign') await reassignTask(taskId(), { userId: f.userId!, comment });
      else if (kind === 'signer') await addSigner(taskId(), { userId: f.userId!, position: f.position, comment });
      else await copyTask(taskId(), { userIds: [...f.userIds], comment });
    }, fallback);
    if (done) onDone(kind);
  }

  return { dialog, action, form, open, submit };
}
