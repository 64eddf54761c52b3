namespace AbandonedCart.Workflows.Decisions;

/// <summary>Quiet hours in the customer's own time zone: when may a message that is due now go out.</summary>
public static class QuietHours
{
    /// <summary>
    /// Returns <paramref name="due"/> when it is outside quiet hours in <paramref name="zone"/>, else the end of the
    /// quiet period (e.g. 09:00 local) as a UTC instant. Daylight-saving changes are handled by converting the local
    /// wall-clock end back through the zone's rules for that date.
    /// </summary>
    public static DateTimeOffset NextAllowed(DateTimeOffset due, TimeZoneInfo zone, TimeOnly from, TimeOnly until)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = TimeZoneInfo.ConvertTime(due, zone);
        var time = TimeOnly.FromTimeSpan(local.TimeOfDay);
        if (!IsQuiet(time, from, until))
        {
            return due;
        }

        // The quiet period ends at `until` today, or tomorrow when it started this evening.
        var endDate = DateOnly.FromDateTime(local.DateTime);
        if (from > until && time >= from)
        {
            endDate = endDate.AddDays(1);
        }

        return ToUtc(endDate.ToDateTime(until), zone);
    }

    public static bool IsQuiet(TimeOnly time, TimeOnly from, TimeOnly until) =>
        from <= until ? time >= from && time < until : time >= from || time < until;

    /// <summary>Resolves an IANA zone id, falling back to <paramref name="fallback"/> and then UTC.</summary>
    public static TimeZoneInfo ResolveZone(string? id, string fallback)
    {
        foreach (var candidate in new[] { id, fallback })
        {
            if (!string.IsNullOrWhiteSpace(candidate) && TimeZoneInfo.TryFindSystemTimeZoneById(candidate, out var zone))
            {
                return zone;
            }
        }

        return TimeZoneInfo.Utc;
    }

    private static DateTimeOffset ToUtc(DateTime localWallClock, TimeZoneInfo zone)
    {
        // A wall-clock time skipped by a spring-forward change does not exist; the first valid minute after it does.
        var unspecified = DateTime.SpecifyKind(localWallClock, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(unspecified))
        {
            unspecified = unspecified.AddMinutes(1);
        }

        var offset = zone.GetUtcOffset(unspecified);
        return new DateTimeOffset(unspecified, offset).ToUniversalTime();
    }
}
