/** A user task whose business object (the project) is missing: an incident, not a retry. */
export class MissingBusinessObject extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingBusinessObject';
  }
}
