// One escaper for both markup reports: HTML text/attributes and XML (JUnit) text/attributes need the same five
// characters replaced; the numeric &#39; is valid in both.
export function escapeMarkup(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
