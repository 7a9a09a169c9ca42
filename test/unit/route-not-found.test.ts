import { notFoundLabel } from '../../server/api/route';

describe('notFoundLabel: what a malformed path id is called in its 404', () => {
  it('one label names every parameter', () => {
    expect(notFoundLabel('专家', 'id')).toBe('专家');
    expect(notFoundLabel('专家', 'tieId')).toBe('专家');
  });
  it('on a two-id route each parameter names its own object; one left out, or none declared, is 请求的对象', () => {
    const labels = { id: '项目', attachmentId: '附件' };
    expect(notFoundLabel(labels, 'id')).toBe('项目');
    expect(notFoundLabel(labels, 'attachmentId')).toBe('附件');
    expect(notFoundLabel(labels, 'other')).toBe('请求的对象');
    expect(notFoundLabel(labels, undefined)).toBe('请求的对象');
    expect(notFoundLabel(undefined, 'id')).toBe('请求的对象');
  });
});
