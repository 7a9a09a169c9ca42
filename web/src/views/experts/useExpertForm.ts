import { reactive, ref, shallowRef } from 'vue';
import { addTie, getExpert, removeTie, saveExpert, type ExpertDetail, type TieKind } from '../../api/experts';
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
 * 新增/编辑专家的对话框状态；编辑时可登记和删除回避关系（逐条保存）。
 * 联系方式在详情中是完整的，只有专家库的维护人员能看到。
 */
export function useExpertForm(onSaved: (expert: ExpertDetail, created: boolean) => void) {
  const visible = ref(false);
  const saving = ref(false);
  const form = reactive(emptyForm());
  const tie = reactive(emptyTie());
  const current = shallowRef<ExpertDetail | null>(null);
  const server = useServerErrors();
  const tieServer = useServerErrors();

  async function open(id?: number): Promise<void> {
    server.clear();
    tieServer.clear();
    Object.assign(form, emptyForm());
    Object.assign(tie, emptyTie());
    current.value = null;
    if (id !== undefined) {
      const e = await getExpert(id);
      current.value = e;
      Object.assign(form, {
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
    visible.value = true;
  }

  async function submit(): Promise<void> {
    if (saving.value) return;
    saving.value = true;
    server.clear();
    try {
      const saved = await saveExpert(
        {
          ...form,
          phone: form.phone.trim() || null,
          email: form.email.trim() || null,
          username: form.username.trim() || null,
          note: form.note.trim() || null,
          orgId: form.orgId,
        },
        current.value?.id,
      );
      const created = current.value === null;
      current.value = saved;
      onSaved(saved, created);
      if (!created) visible.value = false;
    } catch (e) {
      server.apply(e, '保存失败，请稍后再试');
    } finally {
      saving.value = false;
    }
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

  return { visible, saving, form, tie, current, errors: server, tieErrors: tieServer, open, submit, submitTie, deleteTie };
}
