import { reactive, ref } from 'vue';
import { addSigner, copyTask, reassignTask } from '../../api/tasks';

export type PeopleAction = 'reassign' | 'signer' | 'copy';

export const PEOPLE_ACTION_TITLES: Record<PeopleAction, string> = { reassign: '转办', signer: '加签', copy: '抄送' };

export interface PeopleForm {
  userId: number | null;
  userIds: number[];
  position: 'before' | 'after';
  comment: string;
}

/** 转办、加签、抄送共用的对话框状态：选人（抄送可多选）、加签位置、附言 */
export function usePeopleDialog(taskId: () => number, onDone: (action: PeopleAction) => void) {
  const visible = ref(false);
  const action = ref<PeopleAction>('reassign');
  const submitting = ref(false);
  const form = reactive<PeopleForm>({ userId: null, userIds: [], position: 'before', comment: '' });

  function open(next: PeopleAction): void {
    action.value = next;
    Object.assign(form, { userId: null, userIds: [], position: 'before', comment: '' });
    visible.value = true;
  }

  async function submit(): Promise<void> {
    if (submitting.value) return;
    submitting.value = true;
    const comment = form.comment.trim() || undefined;
    try {
      if (action.value === 'reassign') await reassignTask(taskId(), { userId: form.userId!, comment });
      else if (action.value === 'signer') await addSigner(taskId(), { userId: form.userId!, position: form.position, comment });
      else await copyTask(taskId(), { userIds: form.userIds, comment });
      visible.value = false;
      onDone(action.value);
    } finally {
      submitting.value = false;
    }
  }

  return { visible, action, submitting, form, open, submit };
}
