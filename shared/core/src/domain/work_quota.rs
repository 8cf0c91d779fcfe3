//! Fairness between tenants: how much unfinished work one tenant may hold at once.

/// What a tenant may hold open at once. Every open job counts once; an open keystore
/// job also holds its reserved items (`Job::reserved_items`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkQuota {
    pub max_open_jobs: u32,
    pub max_keystore_items: u32,
}

impl WorkQuota {
    /// No limit: for stores used outside the APIs (tests, tools).
    pub const UNLIMITED: WorkQuota = WorkQuota {
        max_open_jobs: u32::MAX,
        max_keystore_items: u32::MAX,
    };

    /// Whether a job holding `items` keystore items fits beside `open` work.
    pub fn admits(&self, open: OpenWork, items: u32) -> Admission {
        if open.jobs >= self.max_open_jobs {
            Admission::Refused(QuotaLimit::OpenJobs)
        } else if u64::from(open.keystore_items) + u64::from(items) > u64::from(self.max_keystore_items) {
            Admission::Refused(QuotaLimit::KeystoreItems)
        } else {
            Admission::Admitted
        }
    }
}

/// A tenant's unfinished work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenWork {
    pub jobs: u32,
    pub keystore_items: u32,
}

/// Whether a new job was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// Nothing was written: the tenant is at this limit.
    Refused(QuotaLimit),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaLimit {
    OpenJobs,
    KeystoreItems,
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUOTA: WorkQuota = WorkQuota {
        max_open_jobs: 2,
        max_keystore_items: 100,
    };

    #[test]
    fn a_job_past_the_open_job_limit_is_refused() {
        let open = OpenWork {
            jobs: 2,
            keystore_items: 0,
        };
        assert_eq!(QUOTA.admits(open, 0), Admission::Refused(QuotaLimit::OpenJobs));
    }

    #[test]
    fn keystore_items_may_fill_the_limit_but_not_pass_it() {
        let open = OpenWork {
            jobs: 1,
            keystore_items: 60,
        };
        assert_eq!(QUOTA.admits(open, 40), Admission::Admitted);
        assert_eq!(
            QUOTA.admits(open, 41),
            Admission::Refused(QuotaLimit::KeystoreItems)
        );
    }

    #[test]
    fn the_unlimited_quota_admits_any_real_amount() {
        let open = OpenWork {
            jobs: 1_000_000,
            keystore_items: 100_000_000,
        };
        assert_eq!(WorkQuota::UNLIMITED.admits(open, 100), Admission::Admitted);
    }
}
