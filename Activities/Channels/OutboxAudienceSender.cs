using AbandonedCart.Activities.Storage;
using Microsoft.Extensions.Logging;

namespace AbandonedCart.Activities.Channels;

/// <summary>The development outbox for one retargeting audience (google or meta): records additions and removals.</summary>
public sealed class OutboxAudienceSender(string audience, OutboxStore outbox, ILogger<OutboxAudienceSender> logger) : IAudienceSender
{
    public string Audience => audience;

    public string Provider => OutboxSender.ProviderName;

    // The outbox shows what the provider would get: the hashed identifier, never the address.
    public Task AddAsync(string customerId, string email, string idempotencyKey, CancellationToken cancellationToken) =>
        RecordAsync(OutboxKinds.AudienceAdd, customerId, AudienceSenders.HashEmail(audience, email), idempotencyKey, cancellationToken);

    public Task RemoveAsync(string customerId, string email, string idempotencyKey, CancellationToken cancellationToken) =>
        RecordAsync(OutboxKinds.AudienceRemove, customerId, AudienceSenders.HashEmail(audience, email), idempotencyKey, cancellationToken);

    public Task RemoveHashedAsync(string customerId, string memberHash, string idempotencyKey, CancellationToken cancellationToken) =>
        RecordAsync(OutboxKinds.AudienceRemove, customerId, memberHash, idempotencyKey, cancellationToken);

    private async Task RecordAsync(string kind, string customerId, string memberHash, string idempotencyKey, CancellationToken cancellationToken)
    {
        var id = await outbox.AddAsync(
            new OutboxEntry
            {
                Kind = kind,
                IdempotencyKey = idempotencyKey,
                Channel = audience,
                CustomerId = customerId,
                Recipient = memberHash,
                Subject = kind == OutboxKinds.AudienceAdd ? $"Add to {audience} audience" : $"Remove from {audience} audience",
            },
            cancellationToken);
        logger.LogInformation("Outbox {Kind} {Audience} entry {OutboxId} for customer {CustomerId}", kind, audience, id, customerId);
    }
}
