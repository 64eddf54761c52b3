using System.Data.Common;
using System.Text.Json;
using AbandonedCart.Activities.Customers;
using Dapper;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>Customers, their channel properties and consents (with history).</summary>
public sealed class CustomerStore(NpgsqlDataSource dataSource)
{
    /// <summary>The profile with its currently granted consents, or null for an unknown customer.</summary>
    public async Task<CustomerProfile?> FindAsync(string customerId, CancellationToken cancellationToken = default)
    {
        const string sql = $"""
            {ProfileSelect} WHERE id = @customerId;
            SELECT category FROM consents WHERE customer_id = @customerId AND granted;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(
            new CommandDefinition(sql, new { customerId }, cancellationToken: cancellationToken));
        var row = await results.ReadSingleOrDefaultAsync<CustomerRow>();
        var consents = (await results.ReadAsync<string>()).ToHashSet(StringComparer.Ordinal);
        return row?.ToProfile(consents);
    }

    /// <summary>Creates the customer row when the first event for an unknown customer arrives; never overwrites.</summary>
    public async Task EnsureExistsAsync(string customerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await EnsureExistAsync(connection, null, [customerId], cancellationToken);
    }

    /// <summary>Creates the rows of customers not seen before, in id order so concurrent batches lock alike.</summary>
    public static Task EnsureExistAsync(DbConnection connection, DbTransaction? transaction, IEnumerable<string> customerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        const string sql = "INSERT INTO customers (id) SELECT unnest(@ids) ORDER BY 1 ON CONFLICT (id) DO NOTHING";
        var ids = customerIds.Distinct(StringComparer.Ordinal).ToArray();
        return connection.ExecuteAsync(new CommandDefinition(sql, new { ids }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Inserts or replaces the channel properties of a customer. Consents are changed with <see cref="SetConsentAsync(string, string, bool, DateTimeOffset, string, CancellationToken)"/>.</summary>
    public async Task UpsertAsync(CustomerProfile profile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await EnsureExistAsync(connection, transaction, [profile.Id], cancellationToken);
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [ProfileProperties.Email] = profile.Email,
            [ProfileProperties.Phone] = profile.Phone,
            [ProfileProperties.TimeZone] = profile.TimeZone,
            [ProfileProperties.FcmToken] = profile.FcmToken,
            [ProfileProperties.ApnsToken] = profile.ApnsToken,
            [ProfileProperties.HuaweiToken] = profile.HuaweiToken,
            [ProfileProperties.WebPushEndpoint] = profile.WebPush?.Endpoint,
            [ProfileProperties.WebPushP256dh] = profile.WebPush?.P256dh,
            [ProfileProperties.WebPushAuth] = profile.WebPush?.Auth,
            [ProfileProperties.LineUserId] = profile.LineUserId,
        };
        await ApplyAsync(connection, transaction, new ProfileChange { CustomerId = profile.Id, Values = values }, cancellationToken);
        const string validity = "UPDATE customers SET email_valid = @EmailValid, phone_valid = @PhoneValid WHERE id = @Id";
        await connection.ExecuteAsync(new CommandDefinition(
            validity, new { profile.Id, profile.EmailValid, profile.PhoneValid }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Changes the given properties of an existing customer row, each only when the change is at least as new (by
    /// <see cref="ProfileChange.AsOf"/>, the event's own time) as the change that last set it: a late or replayed event
    /// changes nothing. An erased customer is never changed, so nothing re-creates their personal data. A new email or
    /// phone is presumed deliverable again until a provider reports otherwise. Answers the properties changed.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(DbConnection connection, DbTransaction? transaction, ProfileChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(change);
        if (change.Values.Count == 0)
        {
            return [];
        }

        // The row lock orders concurrent changes of one customer; the times it holds tell which changes are stale.
        const string read = "SELECT erased_at AS ErasedAt, property_times::text AS Times FROM customers WHERE id = @id FOR UPDATE";
        var row = await connection.QuerySingleOrDefaultAsync<LockedCustomer>(
            new CommandDefinition(read, new { id = change.CustomerId }, transaction, cancellationToken: cancellationToken));
        if (row is null || row.ErasedAt is not null)
        {
            return [];
        }

        var asOf = change.AsOf?.ToUniversalTime();
        var times = JsonSerializer.Deserialize<Dictionary<string, DateTimeOffset>>(row.Times) ?? [];
        var parameters = new DynamicParameters(new { id = change.CustomerId });
        var assignments = new List<string>();
        var applied = new List<string>();
        foreach (var (property, value) in change.Values)
        {
            // Column names come from the fixed map only, never from the request.
            var column = Columns[property];
            if (asOf is not null && times.TryGetValue(column, out var setAsOf) && setAsOf > asOf)
            {
                continue;
            }

            assignments.Add($"{column} = @{column}");
            parameters.Add(column, value);
            if (property is ProfileProperties.Email or ProfileProperties.Phone)
            {
                assignments.Add($"{column}_valid = true");
            }

            if (asOf is { } time)
            {
                times[column] = time;
            }
            else
            {
                times.Remove(column);
            }

            applied.Add(property);
        }

        if (applied.Count == 0)
        {
            return [];
        }

        parameters.Add("times", JsonSerializer.Serialize(times));
        var sql = $"UPDATE customers SET {string.Join(", ", assignments)}, property_times = @times::jsonb, updated_at = now() WHERE id = @id";
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));
        return applied;
    }

    /// <summary>
    /// Grants or withdraws one consent category, unless a change that happened later (by its event time) is already
    /// stored or the customer is erased: then nothing changes and the answer is false. The history row is written in
    /// the same transaction, and only when the value changes, so the history is the exact sequence of states the
    /// customer was in; a refused stale change is not part of it.
    /// </summary>
    public async Task<bool> SetConsentAsync(
        string customerId, string category, bool granted, DateTimeOffset changedAt, string source = "api", CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var applied = await SetConsentAsync(connection, transaction, customerId, new ConsentChange(category, granted, changedAt, source), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return applied;
    }

    /// <summary>Grants or withdraws one consent inside the caller's transaction (see the overload above).</summary>
    public static async Task<bool> SetConsentAsync(DbConnection connection, DbTransaction? transaction, string customerId, ConsentChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(change);
        const string read = """
            INSERT INTO customers (id) VALUES (@customerId) ON CONFLICT (id) DO NOTHING;
            SELECT erased_at FROM customers WHERE id = @customerId FOR UPDATE;
            SELECT granted, as_of AS AsOf FROM consents WHERE customer_id = @customerId AND category = @Category;
            """;
        var args = new { customerId, change.Category, change.Granted, changedAt = change.ChangedAt.ToUniversalTime(), change.Source };
        DateTime? erasedAt;
        StoredConsent? stored;
        await using (var results = await connection.QueryMultipleAsync(new CommandDefinition(read, args, transaction, cancellationToken: cancellationToken)))
        {
            erasedAt = await results.ReadSingleAsync<DateTime?>();
            stored = await results.ReadSingleOrDefaultAsync<StoredConsent>();
        }

        if (erasedAt is not null || (stored is not null && IsStale(stored, change)))
        {
            return false;
        }

        const string write = """
            INSERT INTO consents (customer_id, category, granted, changed_at, source, as_of)
            VALUES (@customerId, @Category, @Granted, @changedAt, @Source, @changedAt)
            ON CONFLICT (customer_id, category) DO UPDATE
                SET granted = excluded.granted, changed_at = excluded.changed_at, source = excluded.source, as_of = excluded.as_of;
            INSERT INTO consent_history (customer_id, category, granted, changed_at, source)
            VALUES (@customerId, @Category, @Granted, @changedAt, @Source);
            """;
        const string confirm = "UPDATE consents SET as_of = @changedAt WHERE customer_id = @customerId AND category = @Category";
        var sql = stored?.Granted == change.Granted ? confirm : write;
        await connection.ExecuteAsync(new CommandDefinition(sql, args, transaction, cancellationToken: cancellationToken));
        return true;
    }

    /// <summary>
    /// Older than the newest change seen is stale. At the same instant a withdrawal wins over a grant, whichever
    /// arrives last, so a tie never sends to someone who may have said no.
    /// </summary>
    private static bool IsStale(StoredConsent stored, ConsentChange change)
    {
        var asOf = new DateTimeOffset(DateTime.SpecifyKind(stored.AsOf, DateTimeKind.Utc));
        // PostgreSQL keeps microseconds: compare at that precision, or a tie would look newer.
        var at = change.ChangedAt.ToUniversalTime();
        at = at.AddTicks(-(at.Ticks % 10));
        return asOf > at || (asOf == at && change.Granted && !stored.Granted);
    }

    /// <summary>The profile, current consents and every consent change, or null for an unknown customer.</summary>
    public async Task<CustomerDetails?> DetailsAsync(string customerId, CancellationToken cancellationToken = default)
    {
        const string sql = $"""
            {ProfileSelect} WHERE id = @customerId;
            SELECT category, granted, changed_at AS ChangedAt, source FROM consents WHERE customer_id = @customerId ORDER BY category;
            SELECT category, granted, changed_at AS ChangedAt, source FROM consent_history WHERE customer_id = @customerId ORDER BY id;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, new { customerId }, cancellationToken: cancellationToken));
        var row = await results.ReadSingleOrDefaultAsync<CustomerRow>();
        var consents = (await results.ReadAsync<ConsentRow>()).Select(c => c.ToChange()).ToList();
        var history = (await results.ReadAsync<ConsentRow>()).Select(c => c.ToChange()).ToList();
        return row is null
            ? null
            : new CustomerDetails
            {
                Profile = row.ToProfile(consents.Where(c => c.Granted).Select(c => c.Category).ToHashSet(StringComparer.Ordinal)),
                ErasedAt = row.ErasedAt is { } erased ? new DateTimeOffset(DateTime.SpecifyKind(erased, DateTimeKind.Utc)) : null,
                Consents = consents,
                History = history,
            };
    }

    /// <summary>
    /// Erases the customer's personal data (every channel property) and withdraws every consent, recorded in the
    /// history as source <c>erasure</c>. Idempotent; false for an unknown customer.
    /// </summary>
    public async Task<bool> EraseAsync(string customerId, DateTimeOffset erasedAt, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await EraseAsync(connection, transaction, customerId, erasedAt, cancellationToken) is null)
        {
            return false;
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// The same inside the caller's transaction. Updates the customer row first, so its lock orders this erasure
    /// against an audience addition recording itself (see <see cref="AudienceStore.RecordAddedAsync"/>). Returns the
    /// erased email (null when there was none) wrapped in a result; null for an unknown customer.
    /// </summary>
    public static async Task<ErasedProfile?> EraseAsync(
        DbConnection connection, DbTransaction transaction, string customerId, DateTimeOffset erasedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        const string erase = """
            WITH before AS (SELECT id, email FROM customers WHERE id = @customerId FOR UPDATE)
            UPDATE customers c SET email = NULL, phone = NULL, time_zone = NULL, fcm_token = NULL, apns_token = NULL,
                huawei_token = NULL, web_push_endpoint = NULL, web_push_p256dh = NULL, web_push_auth = NULL,
                line_user_id = NULL, erased_at = coalesce(c.erased_at, @erasedAt), updated_at = now()
            FROM before WHERE c.id = before.id
            RETURNING before.email AS Email
            """;
        const string withdraw = """
            WITH withdrawn AS (
                UPDATE consents SET granted = false, changed_at = @erasedAt, source = 'erasure'
                WHERE customer_id = @customerId AND granted
                RETURNING category
            )
            INSERT INTO consent_history (customer_id, category, granted, changed_at, source)
            SELECT @customerId, category, false, @erasedAt, 'erasure' FROM withdrawn
            """;
        var args = new { customerId, erasedAt = erasedAt.ToUniversalTime() };
        var erased = await connection.QuerySingleOrDefaultAsync<ErasedProfile>(new CommandDefinition(erase, args, transaction, cancellationToken: cancellationToken));
        if (erased is null)
        {
            return null;
        }

        await connection.ExecuteAsync(new CommandDefinition(withdraw, args, transaction, cancellationToken: cancellationToken));
        return erased;
    }

    private const string ProfileSelect = """
        SELECT id, email, email_valid AS EmailValid, phone, phone_valid AS PhoneValid, time_zone AS TimeZone,
               fcm_token AS FcmToken, apns_token AS ApnsToken, huawei_token AS HuaweiToken,
               web_push_endpoint AS WebPushEndpoint, web_push_p256dh AS WebPushP256dh,
               web_push_auth AS WebPushAuth, line_user_id AS LineUserId, erased_at AS ErasedAt
        FROM customers
        """;

    private static readonly Dictionary<string, string> Columns = new(StringComparer.Ordinal)
    {
        [ProfileProperties.Email] = "email",
        [ProfileProperties.Phone] = "phone",
        [ProfileProperties.TimeZone] = "time_zone",
        [ProfileProperties.FcmToken] = "fcm_token",
        [ProfileProperties.ApnsToken] = "apns_token",
        [ProfileProperties.HuaweiToken] = "huawei_token",
        [ProfileProperties.WebPushEndpoint] = "web_push_endpoint",
        [ProfileProperties.WebPushP256dh] = "web_push_p256dh",
        [ProfileProperties.WebPushAuth] = "web_push_auth",
        [ProfileProperties.LineUserId] = "line_user_id",
    };

    private sealed record LockedCustomer
    {
        public DateTime? ErasedAt { get; init; }

        public string Times { get; init; } = "{}";
    }

    private sealed record StoredConsent
    {
        public bool Granted { get; init; }

        public DateTime AsOf { get; init; }
    }

    private sealed record ConsentRow
    {
        public string Category { get; init; } = string.Empty;

        public bool Granted { get; init; }

        public DateTime ChangedAt { get; init; }

        public string Source { get; init; } = string.Empty;

        public ConsentChange ToChange() => new(Category, Granted, new DateTimeOffset(DateTime.SpecifyKind(ChangedAt, DateTimeKind.Utc)), Source);
    }

    /// <summary>
    /// Marks the property a provider refused as unusable, so eligibility skips the channel from now on: an address is
    /// flagged invalid (kept for the audit), a dead push token, subscription or LINE user id is removed.
    /// <paramref name="property"/> is the first detail of an <c>InvalidAddress</c>/<c>TokenInvalid</c> failure.
    /// </summary>
    public async Task MarkPropertyInvalidAsync(string customerId, string property, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await MarkPropertyInvalidAsync(connection, null, customerId, property, cancellationToken);
    }

    /// <summary>Marks a property unusable inside the caller's transaction (see the overload above).</summary>
    public static Task MarkPropertyInvalidAsync(DbConnection connection, DbTransaction? transaction, string customerId, string property, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var set = property switch
        {
            "email" => "email_valid = false",
            "phone" => "phone_valid = false",
            "fcm_token" => "fcm_token = NULL",
            "apns_token" => "apns_token = NULL",
            "huawei_token" => "huawei_token = NULL",
            "line_user_id" => "line_user_id = NULL",
            "web_push" => "web_push_endpoint = NULL, web_push_p256dh = NULL, web_push_auth = NULL",
            _ => throw new ArgumentException($"Unknown customer property '{property}'.", nameof(property)),
        };
        var sql = $"UPDATE customers SET {set}, updated_at = now() WHERE id = @customerId";
        return connection.ExecuteAsync(new CommandDefinition(sql, new { customerId }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>The customer with this email (case-insensitive) or E.164 phone; null when none. Webhooks that carry only an address use it.</summary>
    public async Task<string?> FindIdByAddressAsync(string? email, string? phone, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT id FROM customers
            WHERE (@email IS NOT NULL AND lower(email) = lower(@email)) OR (@phone IS NOT NULL AND phone = @phone)
            ORDER BY updated_at DESC LIMIT 1
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(sql, new { email, phone }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Every customer with this email (case-insensitive) or E.164 phone, in id order: an opt-out by address (a STOP
    /// reply, an unsubscribe) belongs to the address, so it reaches every customer sharing it. Erased customers have no
    /// address left and are never found.
    /// </summary>
    public async Task<IReadOnlyList<string>> FindIdsByAddressAsync(string? email, string? phone, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await FindIdsByAddressAsync(connection, null, email, phone, cancellationToken);
    }

    private static async Task<IReadOnlyList<string>> FindIdsByAddressAsync(DbConnection connection, DbTransaction? transaction, string? email, string? phone, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id FROM customers
            WHERE erased_at IS NULL
              AND ((@email IS NOT NULL AND lower(email) = lower(@email)) OR (@phone IS NOT NULL AND phone = @phone))
            ORDER BY id
            """;
        var ids = await connection.QueryAsync<string>(new CommandDefinition(sql, new { email, phone }, transaction, cancellationToken: cancellationToken));
        return [.. ids];
    }

    /// <summary>
    /// An inbound provider message that grants or withdraws a consent for an address (a Twilio STOP or START reply):
    /// applied to every customer sharing the address, once per <paramref name="provider"/> message id (when there is
    /// one), in one transaction. Null when that message was applied before (a replay or redelivery changes nothing);
    /// otherwise the customers whose consent it set (stale changes and erased customers excluded).
    /// </summary>
    public async Task<IReadOnlyList<string>?> SetConsentByAddressAsync(
        string? email, string? phone, ConsentChange change, string provider, string? messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        const string seen = "INSERT INTO inbound_messages (provider, message_id) VALUES (@provider, @messageId) ON CONFLICT DO NOTHING";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (messageId is not null
            && await connection.ExecuteAsync(new CommandDefinition(seen, new { provider, messageId }, transaction, cancellationToken: cancellationToken)) == 0)
        {
            return null;
        }

        var changed = new List<string>();
        foreach (var customerId in await FindIdsByAddressAsync(connection, transaction, email, phone, cancellationToken))
        {
            if (await SetConsentAsync(connection, transaction, customerId, change, cancellationToken))
            {
                changed.Add(customerId);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return changed;
    }

    /// <summary>
    /// Withdraws <paramref name="category"/> for every customer with this E.164 phone, in one transaction, with a
    /// history row each: a provider-side opt-out belongs to the number, whichever profile it was sent for.
    /// Returns how many customers have the number.
    /// </summary>
    public async Task<int> WithdrawConsentByPhoneAsync(
        string phone, string category, DateTimeOffset changedAt, string source, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ids = await FindIdsByAddressAsync(connection, transaction, null, phone, cancellationToken);
        foreach (var id in ids)
        {
            await SetConsentAsync(connection, transaction, id, new ConsentChange(category, false, changedAt, source), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return ids.Count;
    }

    private sealed record CustomerRow
    {
        public required string Id { get; init; }

        public string? Email { get; init; }

        public bool EmailValid { get; init; }

        public string? Phone { get; init; }

        public bool PhoneValid { get; init; }

        public string? TimeZone { get; init; }

        public string? FcmToken { get; init; }

        public string? ApnsToken { get; init; }

        public string? HuaweiToken { get; init; }

        public string? WebPushEndpoint { get; init; }

        public string? WebPushP256dh { get; init; }

        public string? WebPushAuth { get; init; }

        public string? LineUserId { get; init; }

        public DateTime? ErasedAt { get; init; }

        public CustomerProfile ToProfile(IReadOnlySet<string> consents) => new()
        {
            Id = Id,
            Email = Email,
            EmailValid = EmailValid,
            Phone = Phone,
            PhoneValid = PhoneValid,
            TimeZone = TimeZone,
            FcmToken = FcmToken,
            ApnsToken = ApnsToken,
            HuaweiToken = HuaweiToken,
            WebPush = WebPushEndpoint is null ? null : new WebPushSubscription(WebPushEndpoint, WebPushP256dh ?? string.Empty, WebPushAuth ?? string.Empty),
            LineUserId = LineUserId,
            Consents = consents,
        };
    }
}

/// <summary>What an erasure removed that its later steps still need: the email, for audience memberships recorded without a hash.</summary>
public sealed record ErasedProfile
{
    public string? Email { get; init; }
}

/// <summary>What <c>GET /v1/customers/{id}</c> shows: the profile, current consents, and every consent change.</summary>
public sealed record CustomerDetails
{
    public required CustomerProfile Profile { get; init; }

    public DateTimeOffset? ErasedAt { get; init; }

    public IReadOnlyList<ConsentChange> Consents { get; init; } = [];

    public IReadOnlyList<ConsentChange> History { get; init; } = [];
}
