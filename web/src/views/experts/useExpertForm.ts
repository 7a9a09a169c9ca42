import { reactive, shallowRef } from 'vue';
import { addTie, getExpert, removeTie, saveExpert, type ExpertDetail, type TieKind } from '../../api/experts';
import { useFormDialog } from '../../composables/useFormDialog';
import { useServerErrors } from '../../composables/useServerErrors';

const emptyForm = () => ({
  code: '',
  name: '',
  organisationName: '',
  orgId: null as number | null,
  title: '',
  phone: '',
  email: '',
  available: true,
  specialties: [] as string[],
  username: '',
  note: '',
});
const emptyTie = () => ({
  kind: 'employment' as TieKind,
  orgId: null as number | null,
  relative: false,
  startedOn: '',
  endedOn: '',
  note: '',
});

/**
 * 新增/编辑专家的对话框状态（useFormDialog）；编辑时可登记和删除回避关系（逐条保存）。
 * 新增成功后对话框留着（转为编辑），以便接着登记回避关系；修改成功后关闭。
 * 联系方式在详情中是完整的，只有专家库的维护人员能看到。
 */
export function useExpertForm(onSaved: (expert: ExpertDetail, created: boolean) => void) {
  const dialog = useFormDialog({ empty: emptyForm });
  const { visible, submitting: saving, form, serverErrors: server } = dialog;
  const tie = reactive(emptyTie());
  const current = shallowRef<ExpertDetail | null>(null);
  const tieServer = useServerErrors();

  async function open(id?: number): Promise<void> {
    tieServer.clear();
    Object.assign(tie, emptyTie());
    current.value = null;
    if (id === undefined) return dialog.open();
    const e = await getExpert(id);
    current.value = e;
    dialog.open({
      code: e.code,
      name: e.name,
      organisationName: e.organisationName,
      orgId: e.orgId,
      title: e.title,
      phone: e.phone ?? '',
      email: e.email ?? '',
      available: e.available,
      specialties: [...e.specialties],
      username: e.username ?? '',
      note: e.note ?? '',
    });
  }

  async function submit(): Promise<void> {
    const editing = current.value;
    let saved: ExpertDetail | undefined;
    const done = await dialog.submit(
      async (f) => {
        saved = await saveExpert(
          {
            ...f,
            specialties: [...f.specialties],
            phone: f.phone.trim() || null,
            email: f.email.trim() || null,
            username: f.username.trim() || null,
            note: f.note.trim() || null,
            orgId: f.orgId,
          },
          editing?.id,
        );
      },
      '保存失败，请稍后再试',
      { keepOpen: editing === null },
    );
    if (!done || !saved) return;
    current.value = saved;
    onSaved(saved, editing === null);
  }

  async function submitTie(): Promise<void> {
    if (!current.value || tie.orgId === null) return;
    tieServer.clear();
    try {
      current.value = await addTie(current.value.id, {
        kind: tie.kind,
        orgId: tie.orgId,
        relative: tie.relative,
        startedOn: tie.startedOn || null,
        endedOn: tie.endedOn || null,
        note: tie.note.trim() || null,
      });
      Object.assign(tie, emptyTie());
      onSaved(current.value, false);
    } catch (e) {
      tieServer.apply(e, '登记失败，请稍后再试');
    }
  }

  async function deleteTie(tieId: number): Promise<void> {
    if (!current.value) return;
    await removeTie(current.value.id, tieId);
    current.value = await getExpert(current.value.id);
    onSaved(current.value, false);
  }

  return { dialog, visible, saving, form, tie, current, errors: server, tieErrors: tieServer, open, submit, submitTie, deleteTie };
}
