// Display helpers. Amounts arrive from the API already in CNY (numbers with 2 decimals, 4 for unit prices).

export const yuan = (amount: number | undefined | null, decimals = 2) => (amount === undefined || amount === null ? '—' : `¥${amount.toFixed(decimals)}`);

export const tokens = (n: number | undefined | null) => (n === undefined || n === null ? '—' : n.toLocaleString());

export const dateTime = (iso: string | undefined | null) => (iso ? new Date(iso.length === 19 ? `${iso}+08:00` : iso).toLocaleString() : '—');

export const percent = (ratio: number | undefined | null) => (ratio === undefined || ratio === null ? '—' : `${(ratio * 100).toFixed(1)}%`);
