using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AbandonedCart.Worker.Simulation;

/// <summary>
/// One line of a journey timeline (format in README, "simulate"): <c>send</c>, <c>skip</c>, <c>defer</c>, <c>capped</c>,
/// <c>holdout</c>, <c>stopped</c>, <c>audience_add</c>, <c>audience_remove</c>, <c>wait</c> or <c>end</c>. Readers ignore kinds they do not know.
/// </summary>
public sealed record TimelineEntry
{
    [JsonIgnore]
    public DateTimeOffset Time { get; init; }

    [JsonPropertyOrder(0)]
    public string At => Format(Time);

    [JsonPropertyOrder(1)]
    public required string Kind { get; init; }

    [JsonPropertyOrder(2)]
    public string? Channel { get; init; }

    [JsonPropertyOrder(3)]
    public int? Step { get; init; }

    [JsonPropertyOrder(4)]
    public string? Reason { get; init; }

    [JsonIgnore]
    public DateTimeOffset? UntilTime { get; init; }

    [JsonPropertyOrder(5)]
    public string? Until => UntilTime is { } until ? Format(until) : null;

    [JsonPropertyOrder(6)]
    public IReadOnlyList<string>? Audiences { get; init; }

    [JsonPropertyOrder(7)]
    public string? Outcome { get; init; }

    /// <summary>What a <c>wait</c> waits for (the timer's summary).</summary>
    [JsonPropertyOrder(8)]
    public string? Summary { get; init; }

    /// <summary>UTC ISO 8601 with seconds and a Z, the timeline's only time format.</summary>
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>Writes a timeline as JSON Lines: one compact object per line, nulls left out.</summary>
public static class TimelineWriter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string ToLine(TimelineEntry entry) => JsonSerializer.Serialize(entry, Json);

    public static async Task WriteAsync(TextWriter writer, IEnumerable<TimelineEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var entry in entries)
        {
            await writer.WriteLineAsync(ToLine(entry)).ConfigureAwait(false);
        }

        await writer.FlushAsync().ConfigureAwait(false);
    }
}
