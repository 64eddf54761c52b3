using AbandonedCart.Activities.Storage;
using Microsoft.Extensions.Logging;

namespace AbandonedCart.Activities.Channels;

/// <summary>The sender of each retargeting audience: a provider registered as <see cref="IAudienceSender"/>, otherwise the outbox.</summary>
public sealed class AudienceSenders
{
    public const string Google = "google";
    public const string Meta = "meta";

    private readonly Dictionary<string, IAudienceSender> byAudience;

    public AudienceSenders(IEnumerable<IAudienceSender> providers, OutboxStore outbox, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var outboxLogger = loggerFactory.CreateLogger<OutboxAudienceSender>();
        byAudience = new[] { Google, Meta }.ToDictionary(a => a, a => (IAudienceSender)new OutboxAudienceSender(a, outbox, outboxLogger));
        foreach (var provider in providers)
        {
            byAudience[provider.Audience] = provider;
        }
    }

    /// <summary>Every audience a customer is added to, in a stable order (google, meta, then any others).</summary>
    public IReadOnlyList<IAudienceSender> All => [.. byAudience.Values];

    /// <summary>
    /// The hashed identifier an audience's provider matches members by: the normalised email's SHA-256, by that
    /// provider's rule. It is the same whether the provider or the outbox serves the audience, so the Api (outbox only)
    /// can compute what the Worker's provider added.
    /// </summary>
    public static string HashEmail(string audience, string email) => audience switch
    {
        Google => GoogleAudienceSender.HashEmail(email),
        _ => MetaAudienceSender.HashEmail(email),
    };

    public IAudienceSender For(string audience) =>
        byAudience.TryGetValue(audience, out var sender) ? sender : throw new ArgumentException($"No sender for audience '{audience}'.", nameof(audience));
}
