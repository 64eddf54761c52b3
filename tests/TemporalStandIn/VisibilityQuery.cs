using System.Text.RegularExpressions;
using Grpc.Core;

namespace AbandonedCart.TemporalStandIn;

/// <summary>The subset of Temporal's list filter the stand-in understands: <c>Key = 'v' AND Key != "w"</c>.</summary>
internal static partial class VisibilityQuery
{
    public static IReadOnlyList<Condition> Parse(string query)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            return [];
        }

        var conditions = new List<Condition>();
        foreach (var part in AndSplit().Split(query.Trim()))
        {
            var match = ConditionPattern().Match(part.Trim());
            if (!match.Success)
            {
                throw StandInEngine.Error(
                    StatusCode.InvalidArgument,
                    $"the in-process stand-in lists only by Key = 'value' joined with AND; cannot read '{part.Trim()}'");
            }

            conditions.Add(new Condition(match.Groups["key"].Value, match.Groups["op"].Value == "!=", match.Groups["value"].Value));
        }

        return conditions;
    }

    [GeneratedRegex(@"\s+AND\s+", RegexOptions.IgnoreCase)]
    private static partial Regex AndSplit();

    [GeneratedRegex(@"^`?(?<key>[A-Za-z_][A-Za-z0-9_]*)`?\s*(?<op>!=|=)\s*(['""])(?<value>.*)\1$")]
    private static partial Regex ConditionPattern();

    internal sealed record Condition(string Key, bool Negated, string Value)
    {
        public bool Matches(string? actual) => Negated ? actual != Value : actual == Value;
    }
}
