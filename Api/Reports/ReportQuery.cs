using System.Globalization;

namespace AbandonedCart.Api.Reports;

/// <summary>The report's query string, validated: carts entered in [From, To), attribution window in hours.</summary>
public sealed record ReportQuery
{
    public const int MinHours = 1;
    public const int MaxHours = 168;
    public const int DefaultHours = 24;

    /// <summary>Without a range the report shows the last 30 days, up to the end of today (UTC).</summary>
    public static readonly TimeSpan DefaultRange = TimeSpan.FromDays(30);

    /// <summary>
    /// <c>from</c> and <c>to</c> must lie in [<see cref="Earliest"/>, <see cref="Latest"/>]: no cart is older or newer,
    /// and the default range and the attribution window computed from a date near year 1 or 9999 would leave the range
    /// <see cref="DateTimeOffset"/> can hold.
    /// </summary>
    public static readonly DateTimeOffset Earliest = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset Latest = new(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private const int MaxJourneyLength = 100;

    public required DateTimeOffset From { get; init; }

    public required DateTimeOffset To { get; init; }

    public required int AttributionHours { get; init; }

    public TimeSpan Window => TimeSpan.FromHours(AttributionHours);

    /// <summary>Parses the raw parameters; on failure returns the offending parameter name and why.</summary>
    public static (ReportQuery? Query, string? Parameter, string? Error) Parse(string? from, string? to, string? attributionHours, DateTimeOffset now)
    {
        var hours = DefaultHours;
        if (!string.IsNullOrWhiteSpace(attributionHours)
            && (!int.TryParse(attributionHours, NumberStyles.None, CultureInfo.InvariantCulture, out hours) || hours is < MinHours or > MaxHours))
        {
            return (null, "attributionHours", $"attributionHours must be a whole number of hours from {MinHours} to {MaxHours}.");
        }

        var end = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        if (!TryParseInstant(to, end, out end))
        {
            return (null, "to", "to must be an ISO 8601 date or date-time (UTC when no offset is given) from 1970-01-01 to 9999-01-01.");
        }

        if (!TryParseInstant(from, end - DefaultRange, out var start))
        {
            return (null, "from", "from must be an ISO 8601 date or date-time (UTC when no offset is given) from 1970-01-01 to 9999-01-01.");
        }

        if (start >= end)
        {
            return (null, "from", "from must be earlier than to.");
        }

        return (new ReportQuery { From = start, To = end, AttributionHours = hours }, null, null);
    }

    private static bool TryParseInstant(string? text, DateTimeOffset fallback, out DateTimeOffset value)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            value = fallback;
            return true;
        }

        var ok = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
        return ok && value >= Earliest && value <= Latest;
    }

    /// <summary>A journey name as the journeys table holds it: 1 to 100 characters, no control characters (PostgreSQL refuses NUL).</summary>
    public static bool IsJourneyName(string? journey) =>
        journey is { Length: > 0 and <= MaxJourneyLength } && !journey.Any(char.IsControl);

    public const string JourneyNameError = "journey must be a journey name: 1 to 100 characters, no control characters.";
}
