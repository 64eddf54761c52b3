namespace AbandonedCart.Activities.Channels;

/// <summary>A retargeting audience (Google Customer Match, Meta Custom Audiences, or the development outbox).</summary>
public interface IAudienceSender
{
    /// <summary><c>google</c> or <c>meta</c>.</summary>
    string Audience { get; }

    string Provider { get; }

    /// <summary>Adds the customer's email (normalised and SHA-256 hashed by the provider implementation).</summary>
    Task AddAsync(string customerId, string email, string idempotencyKey, CancellationToken cancellationToken);

    Task RemoveAsync(string customerId, string email, string idempotencyKey, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the member by the hashed identifier it was added with (<see cref="AudienceSenders.HashEmail"/>), so a
    /// customer whose email changed or was erased still leaves the audience. Returns when the provider confirmed.
    /// </summary>
    Task RemoveHashedAsync(string customerId, string memberHash, string idempotencyKey, CancellationToken cancellationToken);
}
