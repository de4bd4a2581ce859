/**
 * Literal input values as azure-ai-ml sends them: `str(value)` of the Python value PyYAML read, so
 * `true` becomes "True", `1.0` stays "1.0" and `1.5e+3` becomes "1500.0".
 */
import type { YamlValue } from '@azureml-mlops/shared';

/** The Python type name azure-ai-ml gives a literal in a component definition. */
export type LiteralType = 'string' | 'integer' | 'number' | 'boolean';

export function literalType(value: YamlValue): LiteralType {
  switch (value.kind) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return isFloatSyntax(value.sourceText()) ? 'number' : 'integer';
    default:
      return 'string';
  }
}

/** Python's str() of the scalar. */
export function pythonStr(value: YamlValue): string {
  const scalar = value.scalar();
  if (typeof scalar === 'boolean') return scalar ? 'True' : 'False';
  if (typeof scalar === 'number') return literalType(value) === 'number' ? pythonFloatRepr(scalar) : String(scalar);
  if (scalar === null || scalar === undefined) return 'None';
  return scalar;
}

function isFloatSyntax(source: string): boolean {
  return /[.eE]|inf|nan/i.test(source.replace(/_/g, ''));
}

/** Python repr(float): shortest round-trip digits, scientific below 1e-4 and from 1e16. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${fraction}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const integerDigits = exponent + 1;
  const whole = digits.length > integerDigits ? digits.slice(0, integerDigits) : digits.padEnd(integerDigits, '0');
  const fraction = digits.length > integerDigits ? digits.slice(integerDigits) : '0';
  return `${sign}${whole}.${fraction}`;
}
